import Dispatch

/// Actions run after a delay whether or not any task is cancelled: shutdown and kill deadlines
/// must run to the end even when the task that set them was cancelled.
package enum Delay {
    /// Calls `action` once after `duration` on a global queue.
    package static func after(_ duration: Duration, _ action: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + duration.timeInterval, execute: action)
    }
}

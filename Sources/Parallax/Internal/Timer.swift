import Dispatch

/// Timers that fire whether or not the current task is cancelled: shutdown and kill deadlines
/// must run to the end even when the task that set them was cancelled.
package enum Timer {
    /// Suspends for `duration`, ignoring task cancellation.
    package static func sleepIgnoringCancellation(_ duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + duration.timeInterval) {
                continuation.resume()
            }
        }
    }

    /// Calls `action` once after `duration` on a global queue.
    package static func after(_ duration: Duration, _ action: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + duration.timeInterval, execute: action)
    }
}

extension Duration {
    package var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

package import Parallax

/// A wake-up for one waiting loop: a notification, a time limit, or the waiter's cancellation ends
/// the wait, whichever comes first. A notification that comes while nobody waits is kept for the
/// next wait, so none is lost between two waits.
package final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: OneShot<Void>?
    }

    private let state = Locked(State())

    package init() {}

    /// Wakes the waiter, or the next one.
    package func notify() {
        state.withLock { state in
            // A waiter whose time ran out is woken already: the notification is for the next.
            if let waiter = state.waiter, waiter.deliver(()) {
                state.waiter = nil
            } else {
                state.waiter = nil
                state.pending = true
            }
        }
    }

    /// Waits for a notification, at most `timeout` on `timers`' clock.
    package func wait(timeout: Duration, timers: TimerService) async {
        let waiter = OneShot<Void>()
        let notified = state.withLock { state -> Bool in
            if state.pending {
                state.pending = false
                return true
            }
            state.waiter = waiter
            return false
        }
        if notified { return }
        let timer = timers.schedule(after: timeout) { waiter.deliver(()) }
        await withTaskCancellationHandler {
            await waiter.wait()
        } onCancel: {
            waiter.deliver(())
        }
        timers.cancel(timer)
        state.withLock { state in
            if state.waiter === waiter { state.waiter = nil }
        }
    }
}

extension TimerService {
    /// Waits `delay` on the service's clock; returns early when the caller is cancelled.
    package func sleep(for delay: Duration) async {
        let done = OneShot<Void>()
        let timer = schedule(after: delay) { done.deliver(()) }
        await withTaskCancellationHandler {
            await done.wait()
        } onCancel: {
            done.deliver(())
        }
        cancel(timer)
    }
}

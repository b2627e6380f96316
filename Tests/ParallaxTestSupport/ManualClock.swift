import Parallax

/// A clock that moves only when the test moves it: timers fire inside ``advance(by:)``, one
/// alarm at a time, each at its own time, on the test's thread.
package final class ManualClock: TimerClock {
    package init() {}

    private struct State {
        var now: Duration = .zero
        var alarm: Duration?
        var handler: (@Sendable () -> Void)?
        /// Waiters for an alarm set at or before a time.
        var waiters: [(limit: Duration, signal: OneShot<Void>)] = []
    }

    private let state = Locked(State())

    package var now: Duration { state.withLock { $0.now } }

    package func onAlarm(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.handler = handler }
    }

    package func setAlarm(_ deadline: Duration?) {
        let ready = state.withLock { state -> [OneShot<Void>] in
            state.alarm = deadline
            guard let deadline else { return [] }
            let ready = state.waiters.filter { deadline <= $0.limit }.map(\.signal)
            state.waiters.removeAll { deadline <= $0.limit }
            return ready
        }
        for signal in ready { signal.deliver(()) }
    }

    /// The time of the alarm set now, if any.
    package var alarm: Duration? { state.withLock { $0.alarm } }

    /// Moves the clock forward by `step`, stopping at every alarm on the way to fire it.
    package func advance(by step: Duration) {
        let target = now + step
        while true {
            let handler = state.withLock { state -> (@Sendable () -> Void)? in
                guard let alarm = state.alarm, alarm <= target else {
                    state.now = max(state.now, target)
                    return nil
                }
                state.now = max(state.now, alarm)
                state.alarm = nil
                return state.handler
            }
            guard let handler else { return }
            handler()
        }
    }

    /// Waits until an alarm is set for `limit` or earlier (on the clock's scale).
    package func waitForAlarm(atOrBefore limit: Duration) async {
        let signal = OneShot<Void>()
        let set = state.withLock { state -> Bool in
            if let alarm = state.alarm, alarm <= limit { return true }
            state.waiters.append((limit, signal))
            return false
        }
        if !set { await signal.wait() }
    }

    /// Waits until an alarm is set `delay` from now or earlier, then moves the clock by `delay`.
    package func advanceWhenSet(by delay: Duration) async {
        await waitForAlarm(atOrBefore: now + delay)
        advance(by: delay)
    }
}

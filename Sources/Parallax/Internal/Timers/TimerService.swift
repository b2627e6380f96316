/// Every timer of a pool (task timeouts, grace periods before a kill, shutdown timeouts, restart
/// backoffs) or of a worker (service-call deadlines), over one injected ``TimerClock``.
///
/// The pending timers live in a pure ``TimerQueue`` under a lock; the clock holds one alarm, for
/// the earliest. An action runs on the clock's thread (a manual clock's caller in tests), outside
/// the lock, and must not block. ``stop()`` drops every pending timer: nothing fires after it.
package final class TimerService: Sendable {
    /// A pending timer, for ``cancel(_:)``.
    package struct Timer: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct State: Sendable {
        var queue = TimerQueue<@Sendable () -> Void>()
        /// The deadline the clock's alarm is set for.
        var alarm: Duration?
        var isStopped = false
    }

    package let clock: any TimerClock
    private let state = Locked(State())

    /// - Parameter clock: The time the timers run on; the system's monotonic clock by default.
    package init(clock: any TimerClock = SystemTimerClock()) {
        self.clock = clock
        clock.onAlarm { [weak self] in self?.fire() }
    }

    /// Calls `action` once `delay` has passed, unless the timer is cancelled or the service
    /// stopped first.
    @discardableResult
    package func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Timer {
        schedule(at: clock.now + max(.zero, delay), action)
    }

    /// Calls `action` once the clock reaches `deadline`, unless the timer is cancelled or the
    /// service stopped first.
    @discardableResult
    package func schedule(at deadline: Duration, _ action: @escaping @Sendable () -> Void) -> Timer {
        state.withLock { state in
            guard !state.isStopped else { return Timer(id: 0) }
            let id = state.queue.schedule(at: deadline, action)
            if state.alarm.map({ deadline < $0 }) ?? true {
                state.alarm = deadline
                clock.setAlarm(deadline)
            }
            return Timer(id: id)
        }
    }

    /// Cancels a pending timer; returns whether it was pending (it had not fired).
    @discardableResult
    package func cancel(_ timer: Timer) -> Bool {
        state.withLock { $0.queue.cancel(timer.id) }
    }

    /// How many timers are pending.
    package var pendingCount: Int { state.withLock { $0.queue.count } }

    /// The deadlines of the pending timers, earliest first, on the clock's scale.
    package var pendingDeadlines: [Duration] { state.withLock { $0.queue.deadlines } }

    /// Drops every pending timer; nothing fires after this returns, and nothing can be scheduled.
    package func stop() {
        state.withLock { state in
            state.isStopped = true
            state.queue = TimerQueue()
            state.alarm = nil
            clock.setAlarm(nil)
        }
    }

    private func fire() {
        let due = state.withLock { state -> [@Sendable () -> Void] in
            let due = state.queue.popDue(now: clock.now)
            state.alarm = state.queue.nextDeadline
            clock.setAlarm(state.alarm)
            return due
        }
        for action in due { action() }
    }
}

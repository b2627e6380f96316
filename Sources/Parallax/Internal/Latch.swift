/// A flag that is set once and can be awaited by many tasks, with or without a time limit.
package final class Latch: Sendable {
    private struct State {
        var isSet = false
        var waiters: [OneShot<Bool>] = []
    }

    private let state = Locked(State())

    package init() {}

    package var isSet: Bool { state.withLock { $0.isSet } }

    /// Sets the latch and wakes every waiter.
    package func set() {
        let waiters = state.withLock { state -> [OneShot<Bool>] in
            guard !state.isSet else { return [] }
            state.isSet = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.deliver(true) }
    }

    /// Waits until the latch is set. Ignores task cancellation.
    /// - Returns: `true`.
    @discardableResult
    package func wait() async -> Bool {
        let waiter = OneShot<Bool>()
        let alreadySet = state.withLock { state -> Bool in
            if !state.isSet { state.waiters.append(waiter) }
            return state.isSet
        }
        if alreadySet { return true }
        return await waiter.wait()
    }

    /// Waits until the latch is set or `timeout` passes on `timers`. Ignores task cancellation.
    /// - Returns: `true` if the latch was set, `false` on timeout.
    package func wait(timeout: Duration, on timers: TimerService) async -> Bool {
        let waiter = OneShot<Bool>()
        let alreadySet = state.withLock { state -> Bool in
            if !state.isSet { state.waiters.append(waiter) }
            return state.isSet
        }
        if alreadySet { return true }
        let timer = timers.schedule(after: timeout) { [self] in
            // A waiter whose time ran out leaves the list: a latch awaited again and again
            // with a timeout (a restart backoff) keeps none.
            state.withLock { $0.waiters.removeAll { $0 === waiter } }
            waiter.deliver(false)
        }
        let set = await waiter.wait()
        if set { timers.cancel(timer) }
        return set
    }

    /// How many tasks wait for the latch now.
    package var waiterCount: Int { state.withLock { $0.waiters.count } }
}

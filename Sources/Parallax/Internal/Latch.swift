/// A flag that is set once and can be awaited by many tasks.
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

}

import Parallax

/// The id the node holds in the database now: none before it registered, a new one after each
/// lost lease. Producers wait here until the node has one.
final class NodeIdentity: Sendable {
    private enum State {
        case unregistered([OneShot<Result<Int64, any Error>>])
        case registered(Int64)
        case failed(any Error)
    }

    private let state = Locked(State.unregistered([]))

    /// The id now, if any.
    var current: Int64? {
        state.withLock { state in
            if case .registered(let id) = state { return id }
            return nil
        }
    }

    /// Sets the id the node registered with.
    func set(_ id: Int64) {
        let waiters = state.withLock { state -> [OneShot<Result<Int64, any Error>>] in
            defer { state = .registered(id) }
            if case .unregistered(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.deliver(.success(id)) }
    }

    /// The node will never have an id: its run ended with `error`.
    func fail(_ error: any Error) {
        let waiters = state.withLock { state -> [OneShot<Result<Int64, any Error>>] in
            defer { state = .failed(error) }
            if case .unregistered(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.deliver(.failure(error)) }
    }

    /// The id, once the node has one.
    /// - Throws: The error that ended the node's run, or `CancellationError`.
    func wait() async throws -> Int64 {
        let waiter = OneShot<Result<Int64, any Error>>()
        let known = state.withLock { state -> Result<Int64, any Error>? in
            switch state {
            case .registered(let id): return .success(id)
            case .failed(let error): return .failure(error)
            case .unregistered(var waiters):
                waiters.append(waiter)
                state = .unregistered(waiters)
                return nil
            }
        }
        if let known { return try known.get() }
        let result = await withTaskCancellationHandler {
            await waiter.wait()
        } onCancel: {
            waiter.deliver(.failure(CancellationError()))
        }
        return try result.get()
    }
}

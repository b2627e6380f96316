import Instrumentation

/// The parent side of service calls: runs each call of each worker in a task of its own, and
/// cancels those a caller gave up on, those of a worker that died, and all of them when the pool
/// stops, so that nothing is left waiting in the parent.
final class ServiceDispatcher: Sendable {
    private struct Key: Hashable {
        var slot: Int
        var generation: UInt64
        var call: UInt64
    }

    private struct State {
        var running: [Key: Task<Void, Never>] = [:]
        /// Set by the pool's shutdown: new calls get ``/ParallaxWire/ServiceError/Kind/unavailable``.
        var refusing = false
    }

    let registry: ServiceRegistry
    private let state = Locked(State())
    private let metrics: PoolMetrics

    init(registry: ServiceRegistry, metrics: PoolMetrics) {
        self.registry = registry
        self.metrics = metrics
    }

    /// Calls running in the parent now.
    var runningCount: Int { state.withLock { $0.running.count } }

    /// Starts a call from the worker of `slot` and `generation`; `reply` sends its outcome.
    func start(
        _ call: ServicePayload.Call, id: UInt64, slot: Int, generation: UInt64,
        context: ServiceContext? = nil,
        reply: @escaping @Sendable (Result<[UInt8], ServiceError>) -> Void
    ) {
        let key = Key(slot: slot, generation: generation, call: id)
        let handler = registry.handlers[call.method]
        let method = call.method
        let refused = state.withLock { state -> ServiceError? in
            if state.refusing {
                return ServiceError(
                    kind: .unavailable, method: method,
                    message: "the pool is shutting down and takes no new calls")
            }
            guard let handler else {
                return ServiceError(
                    kind: .unknownMethod, method: method,
                    message:
                        "the parent has no service method named '\(method)'; register it in the pool's ServiceRegistry"
                )
            }
            // Registered under the lock that the task's own removal takes: it cannot end first.
            state.running[key] = Task {
                let start = ContinuousClock.now
                let outcome = await ServiceContext.$current.withValue(context) {
                    await handler(call.input[...])
                }
                self.metrics.recordServiceCall(outcome, elapsed: .now - start)
                let stillWanted = self.state.withLock { $0.running.removeValue(forKey: key) != nil }
                if stillWanted { reply(outcome) }
            }
            return nil
        }
        if let refused {
            metrics.recordServiceCall(.failure(refused), elapsed: nil)
            reply(.failure(refused))
        }
    }

    /// The caller gave up on a call: its handler is cancelled and its outcome dropped.
    func cancel(id: UInt64, slot: Int, generation: UInt64) {
        state.withLock { $0.running.removeValue(forKey: Key(slot: slot, generation: generation, call: id)) }?
            .cancel()
    }

    /// The worker of `slot` and `generation` is gone: its calls are cancelled.
    func workerEnded(slot: Int, generation: UInt64) {
        let ended = state.withLock { state -> [Task<Void, Never>] in
            let keys = state.running.keys.filter { $0.slot == slot && $0.generation == generation }
            return keys.compactMap { state.running.removeValue(forKey: $0) }
        }
        for task in ended { task.cancel() }
    }

    /// Refuses new calls from now on.
    func refuseNewCalls() {
        state.withLock { $0.refusing = true }
    }

    /// Refuses new calls and cancels every running one.
    func close() {
        let all = state.withLock { state -> [Task<Void, Never>] in
            state.refusing = true
            defer { state.running.removeAll() }
            return Array(state.running.values)
        }
        for task in all { task.cancel() }
    }
}

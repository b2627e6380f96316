/// Go's `go func` with errgroup's limit and php-parallax's per-slot results, for Swift.
///
/// `go` never blocks: it starts the task (or queues it behind the group's
/// `limit`) and returns. ``wait()`` returns one ``TaskResult`` per `go`, in spawn order, each a
/// value or a ``/ParallaxWire/TaskError``: one failing task never affects its siblings, and partial results
/// are never lost.
///
/// The isolation is chosen per group and is part of its type:
///
/// ```swift
/// // Swift tasks in this process; captures are Sendable snapshots.
/// let local = WaitGroup(of: Int.self)
/// for shard in 0..<4 { local.go { [shard] in try await count(shard) } }
///
/// // Warm worker processes: a crash fails one slot and nothing else.
/// let remote = WaitGroup(of: Int.self, isolation: .process(pool))
/// for shard in 0..<4 { try remote.go(CountEvents(shard: shard)) }
/// for (index, slot) in await remote.wait().enumerated() {
///     switch slot.result {
///     case .success(let count): print("slot \(index): \(count)")
///     case .failure(let error): print("slot \(index) [\(error.type)]: \(error.message)")
///     }
/// }
/// ```
///
/// A group can be reused: ``wait()`` may be called again, and `go` after `wait` adds a slot.
/// Each `wait` returns the results of every `go` since the group was created, so ``count`` never
/// shrinks. Cancelling the task that waits cancels the group's unfinished tasks (queued ones never
/// start; running in-process tasks see cancellation; running process tasks have their worker
/// stopped) and still returns every slot.
public final class WaitGroup<Value: Sendable, Isolation: TaskIsolation>: Sendable {
    /// Where the group's tasks run.
    public let isolation: Isolation
    /// How many of the group's tasks run at once.
    public let limit: Int
    @usableFromInline let state: Locked<WaitGroupState<Value>>

    init(isolation: Isolation, limit: Int) {
        precondition(limit > 0, "a WaitGroup limit must be at least 1")
        self.isolation = isolation
        self.limit = limit
        self.state = Locked(WaitGroupState(limit: limit))
    }

    /// The number of tasks started with `go` (a `go` that threw is not counted).
    public var count: Int {
        state.withLock { $0.count }
    }

    /// Waits for every task started so far and returns their results in spawn order.
    ///
    /// Returns at once for an empty group, and returns the same results again when called again.
    /// - Returns: One result per `go`, in the order of the `go` calls.
    public func wait() async -> [TaskResult<Value>] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if let results = state.withLock({ $0.wait(continuation) }) {
                    continuation.resume(returning: results)
                }
            }
        } onCancel: {
            cancelAll()
        }
    }

    /// Cancels every task that has not finished.
    public func cancelAll() {
        let cancelled = TaskResult<Value>(
            .failure(
                TaskError.cancelled()))
        let (cancellers, resume) = state.withLock { $0.cancelAll(cancelled) }
        for canceller in cancellers { canceller.cancel() }
        if !resume.isEmpty {
            let results = state.withLock { $0.completedResults }
            for continuation in resume { continuation.resume(returning: results) }
        }
    }

    /// Adds a slot whose work `start` begins; `start` receives the slot index.
    @inlinable func spawn(_ start: @escaping @Sendable (Int) -> Void) {
        let (slot, startNow) = state.withLock { $0.add { start } }
        if startNow { start(slot) }
    }

    /// Registers how to cancel the running task in `slot`.
    @inlinable func setCanceller(_ slot: Int, _ canceller: Canceller) {
        state.withLock { $0.setCanceller(canceller, for: slot) }
    }

    /// Records the result of `slot` and starts the next queued task.
    @inlinable func complete(_ slot: Int, _ result: Result<Value, TaskError>) {
        let (next, resume) = state.withLock { $0.complete(slot, TaskResult(result)) }
        if !resume.isEmpty {
            let results = state.withLock { $0.completedResults }
            for continuation in resume { continuation.resume(returning: results) }
        }
        if let next { next.start(next.index) }
    }
}

public import FoundationEssentials
public import Parallax

/// A wait group whose tasks run on whichever hosts serve its queue: `go` takes the same
/// ``/Parallax/WorkerTask`` and ``/Parallax/TaskFunction`` values as a local ``/Parallax/WaitGroup``, and ``wait()`` returns
/// one ``/Parallax/TaskResult`` per `go`, in the order of the calls.
///
/// ```swift
/// let group = try await node.group(of: Int.self, idempotencyKey: "report-2026-12")
/// for shard in shards { try group.go(CountEvents(shard: shard)) }
/// for slot in try await group.wait() { print(slot.value ?? 0) }
/// ```
///
/// `go` never waits: it checks the task against the node's registry (an unknown task or an input
/// that cannot be encoded is a ``/Parallax/SpawnError`` at the call site), snapshots its input, and the
/// group writes its tasks to the queue in batches behind it. Results are rows in the database:
/// a producer that restarts gets the same group back from the same idempotency key (its tasks are
/// not added twice, and finished ones are not run again) or from ``QueueNode/attach(of:group:detached:)``.
///
/// Cancelling the task that waits cancels the group, unless the group was created `detached`:
/// tasks that have not started never will, and running ones are killed on their hosts. So does
/// the loss of the node that owns it (see ``QueueNode/group(of:queue:idempotencyKey:lane:detached:)``).
public final class RemoteWaitGroup<Value: Codable & Sendable>: Sendable {
    /// The group's id, for ``QueueNode/attach(of:group:detached:)``.
    public let id: UUID
    /// The queue its tasks go to.
    public let queue: String
    /// The priority lane of its tasks.
    public let lane: QueueLane
    /// Whether a group with the same idempotency key existed: tasks it has already are not added
    /// again.
    public let attached: Bool
    /// Whether cancelling a waiter leaves the group running.
    public let detached: Bool
    let node: QueueNode

    private struct Pending: Sendable {
        var task: QueueStatements.NewTask
        var policy: QueueTaskPolicy
    }

    private struct State: Sendable {
        var count: Int
        var buffered: [Pending] = []
        var flushing = false
        var sealed = false
        var flushError: (any Error)?
        var flushed: [OneShot<Void>] = []
    }

    private let state: Locked<State>

    init(
        id: UUID, queue: String, lane: QueueLane, attached: Bool, detached: Bool, count: Int, sealed: Bool,
        node: QueueNode
    ) {
        self.id = id
        self.queue = queue
        self.lane = lane
        self.attached = attached
        self.detached = detached
        self.node = node
        self.state = Locked(State(count: count, sealed: sealed))
    }

    /// How many tasks the group has.
    public var count: Int { state.withLock { $0.count } }

    /// Adds a task: checks it, snapshots its input and queues it, without waiting.
    ///
    /// - Parameter task: The task, registered in the node's ``QueueNode/tasks``.
    /// - Throws: ``/Parallax/SpawnError`` for a task that is not registered, an input that cannot be
    ///   encoded or is larger than ``QueueNode/Configuration/maximumPayloadSize``;
    ///   ``QueueNodeError/groupSealed`` once ``wait()`` began. The task is not added.
    public func go<Task: WorkerTask>(_ task: Task) throws where Task.Output == Value {
        try add(try node.tasks.encode(task, payloadLimit: node.configuration.maximumPayloadSize))
    }

    /// Adds a call of a task function: checks it, snapshots its input and queues it, without
    /// waiting.
    ///
    /// - Parameters:
    ///   - function: The function, registered in the node's ``QueueNode/tasks``.
    ///   - input: Its input.
    /// - Throws: As ``go(_:)``.
    public func go<Input>(_ function: TaskFunction<Input, Value>, _ input: Input) throws {
        try add(try node.tasks.encode(function, input, payloadLimit: node.configuration.maximumPayloadSize))
    }

    private func add(_ encoded: WorkerPool.EncodedTask) throws(QueueNodeError) {
        let policy = node.configuration.policy(for: encoded.name)
        let startFlush = state.withLock { state -> Bool? in
            guard !state.sealed else { return nil }
            let task = QueueStatements.NewTask(
                slot: state.count, kind: encoded.name, payload: encoded.payload)
            state.count += 1
            state.buffered.append(Pending(task: task, policy: policy))
            defer { state.flushing = true }
            return !state.flushing
        }
        switch startFlush {
        case nil: throw .groupSealed
        case true?: Task { await flush() }
        case false?: break
        }
    }

    /// Writes the buffered tasks in batches of one policy, up to 5,000 rows a statement, through
    /// outages of the database (a batch written twice adds its tasks once: each has its slot); a
    /// batch that still fails stays buffered and its error is kept for ``wait()``.
    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                guard let first = state.buffered.first else { return [] }
                let same = state.buffered.prefix(5_000).prefix { $0.policy == first.policy }
                return Array(same)
            }
            guard let policy = batch.first?.policy else { break }
            do {
                try await node.toleratingOutages("submit") { [self] in
                    try await node.statements.addTasks(
                        group: id, queue: queue, lane: lane.index, batch.map(\.task),
                        policy: policy.statementPolicy)
                }
                state.withLock { $0.buffered.removeFirst(batch.count) }
            } catch {
                state.withLock { $0.flushError = error }
                break
            }
        }
        let waiters = state.withLock { state -> [OneShot<Void>] in
            state.flushing = false
            defer { state.flushed = [] }
            return state.flushed
        }
        for waiter in waiters { waiter.deliver(()) }
    }

    /// Writes every buffered task and seals the group: no task can be added after.
    private func sealAndFlush() async throws {
        let (waiter, start) = state.withLock { state -> (OneShot<Void>?, Bool) in
            state.sealed = true
            state.flushError = nil
            guard !state.buffered.isEmpty || state.flushing else { return (nil, false) }
            let waiter = OneShot<Void>()
            state.flushed.append(waiter)
            defer { state.flushing = true }
            return (waiter, !state.flushing)
        }
        if start { Task { await flush() } }
        if let waiter { await waiter.wait() }
        if let error = state.withLock({ $0.flushError }) { throw error }
        try await node.toleratingOutages("seal") { [self] in
            try await node.statements.seal(group: id, expected: count)
        }
    }

    /// Writes every task added so far and seals the group, without waiting for results.
    package func submitAll() async throws {
        try await sealAndFlush()
    }

    /// Waits for every task's result.
    ///
    /// - Returns: One result per `go`, in the order of the calls.
    /// - Throws: The database's error when the tasks could not be written; `CancellationError`
    ///   when the waiting task is cancelled (the group is cancelled too, unless detached);
    ///   ``QueueNodeError/notRunning`` when the node stopped. Calling `wait()` again after an
    ///   error picks up where it left off: nothing is lost, since the results are rows.
    public func wait() async throws -> [TaskResult<Value>] {
        var results = [TaskResult<Value>?](repeating: nil, count: 0)
        try await collect { slot, result in
            if results.isEmpty { results = .init(repeating: nil, count: self.count) }
            results[slot] = result
        }
        return results.map { $0! }
    }

    /// The results as they come, in the order the tasks finish, each with its slot (the
    /// position of its `go`).
    ///
    /// - Returns: A sequence that ends after the last result, or throws as ``wait()`` does.
    public func results() -> AsyncThrowingStream<(slot: Int, result: TaskResult<Value>), any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await collect { slot, result in continuation.yield((slot, result)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Cancels the group: tasks that have not started never will, running ones are killed on
    /// their hosts within one lease renewal; each ends as cancelled, unless it finished first.
    ///
    /// - Throws: The database's error.
    public func cancel() async throws {
        state.withLock { $0.sealed = true }
        _ = try await node.statements.cancel(group: id)
    }

    /// How many missing slots one look asks for.
    static var window: Int { 2_000 }
    /// The shortest time between two looks that a notification prompts.
    static var coalescing: Duration { .milliseconds(10) }

    /// Hands every slot's result to `deliver` once, as each is found: after a notification that
    /// names the group, or every result poll interval.
    private func collect(_ deliver: (Int, TaskResult<Value>) -> Void) async throws {
        try await sealAndFlush()
        let total = count
        var missing = Array(0..<total)
        try await node.watchers.watching(id) { signal in
            // Each look asks for one window of the slots still missing, the windows taken in turn,
            // so that a large group costs little per look and a slow slot holds up no other; a
            // window found complete is followed by the next at once.
            var cursor = 0
            while !missing.isEmpty {
                guard node.nodeID != nil else { throw QueueNodeError.notRunning }
                if cursor >= missing.count { cursor = 0 }
                let window = Array(missing[cursor..<min(cursor + Self.window, missing.count)])
                var found: Set<Int> = []
                let recordedResults = try await node.toleratingOutages("results") { [self] in
                    try await node.statements.results(group: id, slots: window)
                }
                for recorded in recordedResults {
                    let history =
                        RemoteOutcome.needsHistory(recorded)
                        ? try await node.toleratingOutages("attempts") { [self] in
                            try await node.statements.attempts(task: recorded.task)
                        } : []
                    deliver(recorded.slot, RemoteOutcome.result(recorded, as: Value.self, history: history))
                    found.insert(recorded.slot)
                }
                cursor += window.count - found.count
                missing.removeAll { found.contains($0) }
                if missing.isEmpty { break }
                if Task.isCancelled {
                    if !detached { try? await Task { try await self.cancel() }.value }
                    throw CancellationError()
                }
                if found.count == window.count { continue }
                await signal.wait(timeout: node.configuration.resultPollInterval, timers: node.timers)
                // Results land in batches, each with a notification: looking at most every few
                // milliseconds gathers several batches per look and leaves the database to the
                // nodes that write them.
                await node.timers.sleep(for: Self.coalescing)
            }
        }
    }
}

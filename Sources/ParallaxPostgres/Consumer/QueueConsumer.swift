import Logging
import Parallax
import Synchronization

/// A node's consumer: claims tasks of its queues into the node's local pool as room allows, and
/// writes what became of each attempt, in batches, through the attempt's fence.
///
/// One loop does all of the consumer's SQL: it writes what ended, then claims up to the room
/// left, then waits for a wake-up (an attempt ended, a notification that tasks are ready) or
/// the poll interval. What it decides comes from ``ConsumerState``; the lease loop fences it
/// (``fence()``) and reconciles it with each renewal.
final class QueueConsumer: Sendable {
    let statements: QueueStatements
    let pool: WorkerPool
    let queues: [String]
    let laneWeights: [Int]
    /// The effects committed with results, by task name.
    let committers: [String: EffectCommitter]
    let identity: NodeIdentity
    let timers: TimerService
    let pollInterval: Duration
    /// How long a statement may go unanswered before it is given up (see ``StatementTimedOut``).
    let statementTimeout: Duration
    let logger: Logger
    let state: Locked<ConsumerState>
    let wake = WakeSignal()
    /// Woken when a batch of ends is ready to write (``batch``).
    let batchReady = WakeSignal()
    /// How many ends make a batch worth writing at once; fewer wait up to ``linger`` for more.
    let batch: Int
    /// How long a write waits for its batch to fill while attempts still run.
    let linger: Duration = .milliseconds(2)
    /// Completions the fence rejected, since the node started.
    let staleCompletions = Atomic<Int>(0)
    /// Whether tasks may have become ready since the last claim found fewer than it asked for: a
    /// notification came, the notifications reconnected, the node resumed, or this consumer put
    /// tasks back. Without it, the consumer claims only once a poll interval has passed, rather
    /// than after every write: an empty claim costs a transaction, and a task that becomes ready
    /// while one runs waits for it.
    let mayHaveReady = Atomic<Bool>(true)

    init(
        statements: QueueStatements, pool: WorkerPool, queues: [String], laneWeights: [Int],
        committers: [String: EffectCommitter], limit: Int,
        identity: NodeIdentity,
        timers: TimerService, pollInterval: Duration, statementTimeout: Duration, logger: Logger
    ) {
        self.statements = statements
        self.pool = pool
        self.queues = queues
        self.laneWeights = laneWeights
        self.committers = committers
        self.identity = identity
        self.timers = timers
        self.pollInterval = pollInterval
        self.statementTimeout = statementTimeout
        self.logger = logger
        self.state = Locked(ConsumerState(limit: limit))
        self.batch = max(1, limit / 2)
    }

    /// Claims and writes until drained (``drain()``, then nothing runs and nothing is left to
    /// write) or cancelled.
    func run() async {
        var failures = 0
        var lanes: [String: LaneState] = [:]
        // The node whose claim failed without an answer: the database may have made it.
        var uncertainClaim: Int64?
        var lastSweep = timers.clock.now
        var lastClaim = timers.clock.now
        while !Task.isCancelled {
            var claimedAll = false
            do {
                if let node = uncertainClaim {
                    try await releaseUnknownClaims(node: node)
                    uncertainClaim = nil
                }
                if timers.clock.now - lastSweep >= statementTimeout, let node = identity.current {
                    try await releaseUnknownClaims(node: node, claimedBefore: statementTimeout * 2)
                    lastSweep = timers.clock.now
                }
            } catch {
                await pause(after: error, failures: &failures)
                continue
            }
            let (writes, room, running) = state.withLock { ($0.takeWrites(), $0.room, $0.attempts.count) }
            do {
                if let node = identity.current {
                    try await write(writes, node: node)
                    // A claim costs a statement whatever it takes: while enough still runs, it
                    // waits until there is room for a batch.
                    if room > 0, room >= batch || running < batch,
                        mayHaveReady.exchange(false, ordering: .acquiringAndReleasing)
                            || timers.clock.now - lastClaim >= pollInterval
                    {
                        lastClaim = timers.clock.now
                        let moreMayBeReady: Bool
                        do {
                            (claimedAll, moreMayBeReady) = try await claim(room, node: node, lanes: &lanes)
                        } catch {
                            uncertainClaim = node
                            mayHaveReady.store(true, ordering: .releasing)
                            throw error
                        }
                        if moreMayBeReady { mayHaveReady.store(true, ordering: .releasing) }
                    }
                } else {
                    state.withLock { $0.putBack(writes) }
                }
                failures = 0
            } catch {
                await pause(after: error, failures: &failures)
                continue
            }
            if claimedAll { continue }  // more may be ready
            let drained = state.withLock { $0.phase == .draining && $0.isIdle }
            if drained { return }
            await wake.wait(timeout: pollInterval, timers: timers)
            // Ends come one by one; one statement writes many. While attempts still run, a
            // write waits a moment for its batch to fill, as the claim that follows it does for
            // room (every 2 ms or half the room, whichever comes first).
            let (pending, stillRunning) = state.withLock { ($0.pendingWrites, $0.attempts.count) }
            if pending > 0, pending < batch, stillRunning > 0 {
                await batchReady.wait(timeout: linger, timers: timers)
            }
        }
    }

    /// Runs one statement, given up after ``statementTimeout``.
    @discardableResult
    private func answer<Result: Sendable>(_ statement: @escaping @Sendable () async throws -> Result)
        async throws -> Result
    {
        try await timers.answer(within: statementTimeout, statement)
    }

    private func pause(after error: any Error, failures: inout Int) async {
        failures += 1
        logger.warning(
            "the queue consumer could not reach the database; trying again",
            metadata: ["parallax.error": "\(error)", "parallax.queue.failures": "\(failures)"])
        await timers.sleep(for: min(.milliseconds(50) * (1 << min(failures, 6)), .seconds(2)))
    }

    /// Gives back, unstarted, the attempts the database assigns to `node` that the consumer knows
    /// nothing of. Nothing else of the consumer's is under way (it runs all of its statements in
    /// turn), so they can only be a claim's whose answer never came: asked at once after a claim
    /// failed, and, with `age`, every ``statementTimeout`` for attempts claimed longer than `age`
    /// ago, which catches a claim that committed after the consumer had given up waiting for it
    /// (a claim's tasks are never started once it was given up).
    private func releaseUnknownClaims(node: Int64, claimedBefore age: Duration? = nil) async throws {
        let held = try await answer { [statements] in
            try await statements.held(node: node, claimedBefore: age)
        }
        let unknown = state.withLock { $0.unknown(among: held, complete: age == nil) }
        guard !unknown.isEmpty else { return }
        let released = try await answer { [statements] in try await statements.release(node: node, unknown) }
        mayHaveReady.store(true, ordering: .releasing)
        logger.notice(
            "a claim whose answer was lost had claimed tasks; they were given back",
            metadata: ["parallax.queue.released": "\(released.count)"])
    }

    /// Writes what ended; puts back whatever could not be written.
    private func write(_ writes: ConsumerState.Writes, node: Int64) async throws {
        var left = writes
        do {
            if !left.completions.isEmpty {
                let (completions, committers) = (left.completions, committers)
                let (_, stale) = try await answer { [statements] in
                    try await statements.complete(node: node, completions, committing: committers)
                }
                left.completions = []
                if !stale.isEmpty {
                    staleCompletions.add(stale.count, ordering: .relaxed)
                    logger.notice(
                        "completions of attempts that were no longer current were rejected",
                        metadata: ["parallax.queue.stale": "\(stale)"])
                }
            }
            while let retry = left.retries.first {
                let outcome = try await answer { [statements] in
                    try await statements.retry(
                        node: node, task: retry.task, attemptID: retry.attemptID, failure: retry.failure)
                }
                left.retries.removeFirst()
                if outcome == .stale { staleCompletions.add(1, ordering: .relaxed) }
            }
            if !left.releases.isEmpty {
                let releases = left.releases
                try await answer { [statements] in try await statements.release(node: node, releases) }
                left.releases = []
                mayHaveReady.store(true, ordering: .releasing)
            }
        } catch {
            state.withLock { $0.putBack(left) }
            throw error
        }
    }

    /// What the consumer keeps between claims, per queue: the lanes' shares so far, and the lanes
    /// that had ready tasks at the last claim.
    struct LaneState {
        var scheduler: LaneScheduler
        var busy: Set<Int> = []
    }

    /// Claims up to `room` tasks across the queues and hands them to the pool: within a queue,
    /// shared among the busy lanes by weight (each other lane probed with one slot) first, then,
    /// when a lane had as many as its share and the room is not full, whatever is left in the
    /// order of the lanes.
    /// - Returns: Whether the room was filled, and whether more tasks may be ready: a lane had
    ///   as many as its share, or the claim in lane order as many as it asked for.
    private func claim(_ room: Int, node: Int64, lanes: inout [String: LaneState]) async throws -> (
        filled: Bool, moreMayBeReady: Bool
    ) {
        var left = room
        var moreMayBeReady = false
        for queue in queues where left > 0 {
            var lane = lanes[queue] ?? LaneState(scheduler: LaneScheduler(weights: laneWeights))
            let shares = lane.scheduler.allocate(left, busy: lane.busy)
            var claimed = try await answer { [statements] in
                try await statements.claim(node: node, queue: queue, shares: shares)
            }
            // Started at once: they do not wait for the second statement.
            for task in claimed { start(task) }
            let perLane = Dictionary(grouping: claimed, by: \.lane).mapValues(\.count)
            // The rest in lane order, in a second statement, when it can fill much of the room
            // (a lane had its whole share, so may have more), or when nothing was found and a
            // lane had no share this time (a lone task there must not wait for a poll).
            let unused = left - claimed.count
            let mayHaveMore = shares.indices.contains {
                shares[$0] > 0 && perLane[$0, default: 0] >= shares[$0]
            }
            let unshared = shares.indices.contains { laneWeights[$0] > 0 && shares[$0] == 0 }
            if unused > 0, (mayHaveMore && unused >= max(1, batch / 8)) || (claimed.isEmpty && unshared) {
                let limit = left - claimed.count
                let rest = try await answer { [statements] in
                    try await statements.claim(node: node, queue: queue, limit: limit)
                }
                for task in rest { start(task) }
                claimed += rest
                if rest.count >= limit { moreMayBeReady = true }
            } else if mayHaveMore {
                moreMayBeReady = true
            }
            lane.busy = Set(claimed.map(\.lane))
            lanes[queue] = lane
            left -= claimed.count
        }
        return (left == 0, moreMayBeReady || left == 0)
    }

    private func start(_ claimed: QueueStatements.Claimed) {
        let jobID = pool.makeJobID()
        let admitted = state.withLock { $0.admit(claimed, jobID: jobID, at: timers.clock.now) }
        guard admitted else { return }
        pool.enqueueRun(
            id: jobID, task: WorkerPool.EncodedTask(name: claimed.kind, payload: claimed.payload),
            timeout: claimed.timeout
        ) { [self] result in
            let pending = state.withLock { state in
                _ = state.ended(attemptID: claimed.attemptID, result)
                return state.pendingWrites
            }
            wake.notify()
            if pending >= batch { batchReady.notify() }
        }
    }

    // MARK: Orders from the lease

    /// The lease was lost: nothing more is claimed, and every worker running an attempt of this
    /// node is killed at once.
    func fence() {
        let jobs = state.withLock { $0.fence() }
        for job in jobs { pool.terminate(jobID: job) }
        if !jobs.isEmpty {
            logger.warning(
                "the node lost its lease; its running tasks were killed",
                metadata: ["parallax.queue.killed": "\(jobs.count)"])
        }
    }

    /// The node holds a lease again.
    func resume() {
        state.withLock { $0.resume() }
        tasksMayBeReady()
    }

    /// Tasks may be ready (a notification said so, or one may have been missed): the next turn
    /// of the loop claims.
    func tasksMayBeReady() {
        mayHaveReady.store(true, ordering: .releasing)
        wake.notify()
    }

    /// What a renewal sent at `sentAt` said: kills the attempts the database took back, and
    /// cancels those whose cancellation was requested.
    func reconcile(held: [Int64], cancelled: [Int64], sentAt: Duration) {
        let (taken, cancelling) = state.withLock {
            ($0.reconcile(held: Set(held), sentAt: sentAt), $0.cancelRequested(cancelled))
        }
        for job in taken { pool.terminate(jobID: job) }
        for job in cancelling { pool.cancel(jobID: job) }
        if !taken.isEmpty {
            logger.warning(
                "attempts the database no longer assigns to this node were killed",
                metadata: ["parallax.queue.killed": "\(taken.count)"])
        }
    }

    /// Arms the workers' dead-man switch after a renewal sent at `renewalSent` (on the real
    /// monotonic clock): they end themselves half the margin before the lease could expire on
    /// the database, unless the next renewal pushes the deadline on. The node's own fence comes
    /// first; the switch is for a node that cannot act (frozen, stalled).
    func armWorkers(renewalSent: ContinuousClock.Instant, lease: Duration, margin: Duration) {
        pool.setLeaseDeadline(after: lease - margin / 2 - (ContinuousClock.now - renewalSent))
    }

    /// Disarms the workers' dead-man switch: the node no longer holds a lease for them.
    func disarmWorkers() {
        pool.setLeaseDeadline(after: nil)
    }

    /// Stops claiming; ``run()`` returns once what runs has finished and been written.
    func drain() {
        state.withLock { $0.drain() }
        wake.notify()
    }
}

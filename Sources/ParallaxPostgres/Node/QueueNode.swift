public import Logging
public import Parallax
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// One process's place in a task queue on PostgreSQL: it runs registered tasks for other hosts
/// on its local ``/Parallax/WorkerPool`` (a consumer), and sends tasks to them in remote wait groups (a
/// producer), or both.
///
/// A node is a `Service`: run it in the same `ServiceGroup` as its pool and its server, after the
/// pool so that it stops first.
///
/// ```swift
/// let pool = WorkerPool(configuration: .init(workerCount: 4), tasks: tasks)
/// let node = QueueNode(postgres: postgres, tasks: tasks, consumingInto: pool, logger: logger)
/// let services = ServiceGroup(services: [pool, node, server], logger: logger)
/// try await services.run()
///
/// // anywhere, on any node:
/// let group = try await node.group(of: Thumbnail.self, idempotencyKey: "album-\(id)")
/// for photo in photos { try group.go(MakeThumbnail(photo: photo)) }
/// let thumbnails = try await group.wait()  // one TaskResult per go, in order
/// ```
///
/// The node does all of the SQL; worker processes never talk to the database. It holds a lease
/// on the database's clock and renews it; a node that cannot renew it in time kills its own
/// workers and stops claiming before any other node may take its tasks, and every completion
/// carries the attempt's token, so a late one cannot land. Connections do not grow with the
/// number of tasks: one for the lease, one for notifications, and a small pool.
public final class QueueNode: Service, Sendable {
    /// How the node takes part in the queue.
    public let configuration: Configuration
    /// The tasks this node may send and run.
    public let tasks: TaskRegistry
    let logger: Logger
    let timers: TimerService
    let leaseClient: PostgresClient
    let listenClient: PostgresClient
    let workClient: PostgresClient
    let statements: QueueStatements
    let leaseStatements: QueueStatements
    let identity: NodeIdentity
    let consumer: QueueConsumer?
    let watchers = ResultWatchers()
    /// Set when the lease lapsed, until the node has registered again.
    let leaseLapsed = Atomic<Bool>(false)
    let renewNow = WakeSignal()
    let stopRequested = OneShot<Void>()

    /// Creates a node.
    ///
    /// - Parameters:
    ///   - postgres: How to reach the database. The node opens its own connections with it.
    ///   - tasks: The tasks the node may send and run: the registry its pool's workers serve.
    ///   - pool: The pool that runs claimed tasks, or `nil` for a node that only produces.
    ///   - configuration: The queues, the lease and the polling.
    ///   - logger: Receives the node's events.
    public convenience init(
        postgres: PostgresClient.Configuration, tasks: TaskRegistry, consumingInto pool: WorkerPool? = nil,
        configuration: Configuration = Configuration(), logger: Logger
    ) {
        self.init(
            postgres: postgres, tasks: tasks, consumingInto: pool, configuration: configuration,
            logger: logger,
            clock: nil)
    }

    /// Creates a node whose lease and polling run on `clock` (for tests).
    package init(
        postgres: PostgresClient.Configuration, tasks: TaskRegistry, consumingInto pool: WorkerPool?,
        configuration: Configuration, logger: Logger, clock: (any TimerClock)?
    ) {
        self.configuration = configuration
        self.tasks = tasks
        self.logger = logger
        self.timers = clock.map { TimerService(clock: $0) } ?? TimerService()
        var single = postgres
        single.options.minimumConnections = 0
        single.options.maximumConnections = 1
        var pooled = postgres
        pooled.options.maximumConnections = max(1, configuration.connections)
        let name = Self.applicationName(host: configuration.host)
        leaseClient = PostgresClient(configuration: name(single, "lease"), backgroundLogger: logger)
        listenClient = PostgresClient(configuration: name(single, "listen"), backgroundLogger: logger)
        workClient = PostgresClient(configuration: name(pooled, "work"), backgroundLogger: logger)
        let statements = QueueStatements(client: workClient, logger: logger)
        let (identity, timers) = (NodeIdentity(), self.timers)
        self.statements = statements
        self.identity = identity
        leaseStatements = QueueStatements(client: leaseClient, logger: logger)
        consumer = pool.map { pool in
            QueueConsumer(
                statements: statements, pool: pool, queues: configuration.queues,
                laneWeights: configuration.laneWeights, committers: configuration.committers,
                limit: configuration.concurrency ?? pool.configuration.workerCount * 2, identity: identity,
                timers: timers, pollInterval: configuration.pollInterval,
                statementTimeout: configuration.statementTimeout, logger: logger)
        }
    }

    /// Runs the node: migrates the schema (unless told not to), registers, then renews its
    /// lease, reaps dead nodes' tasks, and claims tasks into its pool, until a graceful shutdown
    /// or ``shutdown()``, after which it claims nothing more and returns once the tasks it holds
    /// have finished and their results are written. Cancelled, it kills the workers running its
    /// tasks and returns; other nodes take the tasks once its lease has expired.
    ///
    /// - Throws: ``QueueNodeError/invalidConfiguration(_:)``, or the database's error when the
    ///   schema cannot be migrated or the node cannot register.
    public func run() async throws {
        do {
            try configuration.validate()
            // The clients outlive the loops: they are closed only once no query is under way,
            // since closing a client while one of its connections is being leased or opened
            // can keep the client's run from returning.
            try await withThrowingDiscardingTaskGroup { clients in
                for client in [leaseClient, listenClient, workClient] {
                    // A client's run() ends at a graceful shutdown of its service group, which
                    // would leave a draining node without the connections that write what it
                    // still runs: detached, it ends only when the node is done with it.
                    // Cancelled while a connection is being opened, a client's run() can fail to
                    // return: the node waits for it a few seconds, then leaves it behind.
                    clients.addTask { [logger] in
                        let ended = OneShot<Bool>()
                        let running = Task.detached {
                            await client.run()
                            ended.deliver(true)
                        }
                        let inTime = await withTaskCancellationHandler {
                            await ended.wait()
                        } onCancel: {
                            running.cancel()
                            Task.detached {
                                try? await Task.sleep(for: .seconds(5))
                                ended.deliver(false)
                            }
                        }
                        if !inTime {
                            logger.warning(
                                "a database client of the queue node did not close within 5 s; left behind")
                        }
                    }
                }
                try await runLoops()
                logger.trace("the queue node's loops ended; closing its connections")
                clients.cancelAll()
            }
        } catch {
            identity.fail(error)
            watchers.wakeAll()
            throw error
        }
        identity.fail(QueueNodeError.notRunning)
        watchers.wakeAll()
    }

    /// Registers the node and runs its loops until it is shut down and drained, or cancelled.
    private func runLoops() async throws {
        if configuration.migratesSchema { try await QueueSchema.migrate(workClient, logger: logger) }
        let (node, sent) = try await register()
        try await withThrowingDiscardingTaskGroup { loops in
            loops.addTask { await self.maintainLease(node: node, sent: sent) }
            loops.addTask { await self.reap() }
            loops.addTask { await self.listen() }
            await withGracefulShutdownHandler {
                if let consumer {
                    await consumer.run()
                } else {
                    await withTaskCancellationHandler {
                        await stopRequested.wait()
                    } onCancel: {
                        stopRequested.deliver(())
                    }
                }
            } onGracefulShutdown: {
                self.shutdown()
            }
            if Task.isCancelled {
                consumer?.fence()
            } else if let current = identity.current {
                _ = try? await timers.answer(within: configuration.statementTimeout) { [statements] in
                    try await statements.stopNode(current)
                }
            }
            consumer?.disarmWorkers()
            loops.cancelAll()
        }
    }

    /// Stops claiming; ``run()`` returns once the tasks the node holds have finished and their
    /// results are written. A graceful shutdown of the node's `ServiceGroup` does the same.
    public func shutdown() {
        consumer?.drain()
        stopRequested.deliver(())
    }

    /// Registers a new node row.
    /// - Returns: Its id, and when the registration was sent, on the node's clock.
    /// - Parameter previous: The id the node held before its lease lapsed: its groups become the
    ///   new id's.
    private func register(previous: Int64? = nil) async throws -> (Int64, Duration) {
        let sent = timers.clock.now
        let sentReal = ContinuousClock.now
        let (host, ttl, queues) = (
            configuration.host, configuration.leaseDuration, consumer == nil ? [] : configuration.queues
        )
        let node = try await timers.answer(within: configuration.statementTimeout) { [leaseStatements] in
            try await leaseStatements.registerNode(
                host: host, pid: getpid(), ttl: ttl, queues: queues, previous: previous)
        }
        consumer?.armWorkers(
            renewalSent: sentReal, lease: configuration.leaseDuration, margin: configuration.leaseMargin)
        identity.set(node)
        logger.info("queue node registered", metadata: ["parallax.node": "\(node)"])
        return (node, sent)
    }

    // MARK: The lease

    /// Renews the lease every renewal interval and fences the node when it lapses: when a
    /// renewal says it expired, or when the local deadline (the last successful renewal's send
    /// time plus the lease less its margin, on the node's clock) passes without a renewal,
    /// whether or not the database can be reached. A fenced node registers anew.
    private func maintainLease(node: Int64, sent: Duration) async {
        var node = node
        var fenceTimer = armFence(sentAt: sent)
        while !Task.isCancelled {
            await renewNow.wait(timeout: configuration.renewalInterval, timers: timers)
            if Task.isCancelled { break }
            if leaseLapsed.load(ordering: .acquiring) {
                do {
                    let (id, at) = try await register(previous: node)
                    node = id
                    timers.cancel(fenceTimer)
                    fenceTimer = armFence(sentAt: at)
                    leaseLapsed.store(false, ordering: .releasing)
                    consumer?.resume()
                } catch {
                    logger.warning(
                        "the queue node could not register again", metadata: ["parallax.error": "\(error)"])
                }
                continue
            }
            let sentAt = timers.clock.now
            let sentReal = ContinuousClock.now
            do {
                let renewing = node
                let renewal = try await timers.answer(within: configuration.statementTimeout) {
                    [leaseStatements] in try await leaseStatements.renewLease(node: renewing)
                }
                // A fence that came while the renewal was under way stands.
                guard !leaseLapsed.load(ordering: .acquiring) else { continue }
                if renewal.renewed {
                    timers.cancel(fenceTimer)
                    fenceTimer = armFence(sentAt: sentAt)
                    consumer?.armWorkers(
                        renewalSent: sentReal, lease: configuration.leaseDuration,
                        margin: configuration.leaseMargin)
                    consumer?.reconcile(held: renewal.held, cancelled: renewal.cancelled, sentAt: sentAt)
                } else {
                    timers.cancel(fenceTimer)
                    lapse(reason: "the database reports the node's lease expired")
                }
            } catch {
                logger.warning(
                    "the queue node could not renew its lease", metadata: ["parallax.error": "\(error)"])
            }
        }
        timers.cancel(fenceTimer)
    }

    /// Sets the local deadline of a lease whose renewal was sent at `sentAt`: the database's
    /// expiry is at least `sentAt` plus the lease, since the database computed it later.
    private func armFence(sentAt: Duration) -> TimerService.Timer {
        timers.schedule(at: sentAt + configuration.leaseDuration - configuration.leaseMargin) { [self] in
            lapse(reason: "the lease was not renewed in time")
        }
    }

    private func lapse(reason: String) {
        guard !leaseLapsed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.warning("the queue node lost its lease", metadata: ["parallax.reason": "\(reason)"])
        consumer?.fence()
        // The node could act, so the switch is not needed until it holds a lease again; left
        // armed, it would end every worker the pool starts meanwhile.
        consumer?.disarmWorkers()
        renewNow.notify()
    }

    // MARK: Recovery

    /// Every reaper interval, declares dead the nodes whose leases expired more than the grace
    /// ago and takes their tasks back; finishes overdue tasks. Every node does it: each step is
    /// idempotent and skips rows another node has locked.
    private func reap() async {
        while !Task.isCancelled {
            await timers.sleep(for: configuration.reaperInterval)
            if Task.isCancelled { return }
            do {
                let grace = configuration.reaperGrace
                let reaped = try await timers.answer(within: configuration.statementTimeout) { [statements] in
                    try await statements.reap(grace: grace)
                }
                if !reaped.deadNodes.isEmpty || !reaped.overdue.isEmpty || !reaped.ownerLost.isEmpty {
                    logger.notice(
                        "the reaper took tasks back",
                        metadata: [
                            "parallax.nodes.dead": "\(reaped.deadNodes)",
                            "parallax.tasks.requeued": "\(reaped.requeued.count)",
                            "parallax.tasks.lost": "\(reaped.lost.count)",
                            "parallax.tasks.overdue": "\(reaped.overdue.count)",
                            "parallax.groups.owner_lost": "\(reaped.ownerLost.count)",
                        ])
                }
            } catch {
                logger.debug(
                    "the reaper could not reach the database", metadata: ["parallax.error": "\(error)"])
            }
        }
    }

    // MARK: Notifications

    /// Listens for ready tasks, results and cancellations on a connection of its own; after
    /// every (re)connection wakes everyone, since notifications sent meanwhile were missed.
    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await listenClient.withConnection { connection in
                    try await connection.listen(on: "parallax_ready") { ready in
                        try await connection.listen(on: "parallax_results") { results in
                            try await connection.listen(on: "parallax_cancel") { cancels in
                                failures = 0
                                self.consumer?.tasksMayBeReady()
                                self.watchers.wakeAll()
                                try await withThrowingTaskGroup(of: Void.self) { group in
                                    group.addTask {
                                        for try await _ in ready { self.consumer?.tasksMayBeReady() }
                                    }
                                    group.addTask {
                                        for try await note in results {
                                            self.watchers.wake(hint: note.payload)
                                        }
                                    }
                                    group.addTask { for try await _ in cancels { self.renewNow.notify() } }
                                    try await group.next()
                                    group.cancelAll()
                                }
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.debug(
                    "the queue node's notifications stopped", metadata: ["parallax.error": "\(error)"])
            }
            await timers.sleep(for: min(.milliseconds(100) * (1 << min(failures, 5)), .seconds(2)))
        }
    }

    // MARK: For tests

    /// The id the node holds now.
    package var nodeID: Int64? { identity.current }

    /// Completions the fence rejected, since the node started.
    package var staleCompletions: Int { consumer?.staleCompletions.load(ordering: .relaxed) ?? 0 }

    /// Whether the node's lease lapsed and it has not registered again.
    package var isFenced: Bool { leaseLapsed.load(ordering: .acquiring) }

    /// The attempts the consumer holds now.
    package var heldAttempts: [Int64] { consumer?.state.withLock { Array($0.attempts.keys).sorted() } ?? [] }
}

extension QueueNode: StoppableService {}

extension QueueNode {
    /// Names a client's connections, so that `pg_stat_activity` tells the nodes and their roles
    /// apart (`parallax-lease host:pid`, `-listen`, `-work`); a name the configuration sets is
    /// kept.
    static func applicationName(host: String)
        -> (PostgresClient.Configuration, String) -> PostgresClient.Configuration
    {
        { configuration, role in
            var configuration = configuration
            if !configuration.options.additionalStartupParameters.contains(where: {
                $0.0 == "application_name"
            }) {
                configuration.options.additionalStartupParameters.append(
                    ("application_name", "parallax-\(role) \(host):\(getpid())"))
            }
            return configuration
        }
    }
}

extension QueueNode {
    /// Runs `body`, again after a pause each time it fails because the database cannot be
    /// reached, for up to ``Configuration/outageTolerance`` of failures in a row.
    @discardableResult
    func toleratingOutages<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await timers.answerThroughOutages(
            within: configuration.statementTimeout, tolerating: configuration.outageTolerance,
            retrying: { [logger] error in
                logger.notice(
                    "the database could not be reached; trying again",
                    metadata: ["parallax.queue.statement": "\(what)", "parallax.error": "\(error)"])
            }, body)
    }
}

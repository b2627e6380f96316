import CoreMetrics
import FoundationEssentials
import Logging
import Parallax
import ParallaxTestTasks
import PostgresNIO
import ServiceLifecycle
import Testing

@testable import ParallaxPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// Nodes on a real PostgreSQL server, each with a real pool of worker processes: remote groups
/// run on them and come back in spawn order, failures keep their kinds, a crash is tried again,
/// a resubmitted group adds nothing twice, a cancelled group's running task is killed on its
/// host, and a node that cannot renew its lease kills its workers before anyone may take over.
@Suite(.postgresInstalled, .privatePostgres, .timeLimit(.minutes(2)))
struct QueueNodeTests {
    /// A fresh migrated database: its client and how to reach it.
    static func withDatabase<Result: Sendable>(
        _ body: @Sendable (PostgresClient, PostgresClient.Configuration) async throws -> Result
    ) async throws -> Result {
        try await #require(PrivatePostgres.current).withDatabase { client, configuration in
            try await QueueSchema.migrate(client, logger: TestNode.logger)
            return try await body(client, configuration)
        }
    }

    static func count(_ client: PostgresClient, _ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        for try await value in rows.decode(Int64.self) { return value }
        return -1
    }

    /// Waits (polling the database: the state is another process's) until `sql` counts `expected`.
    static func until(_ client: PostgresClient, _ sql: String, is expected: Int64) async throws {
        for _ in 0..<1_000 {
            if try await count(client, sql) == expected { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(sql) never counted \(expected)")
    }

    @Test func aRemoteGroupRunsOnAConsumerNodeAndReturnsOneResultPerGoInOrder() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                for value in 0..<40 { try group.go(Echo(value)) }
                #expect(group.count == 40)
                let results = try await group.wait()
                #expect(results.map(\.value) == (0..<40).map { $0 })
                #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 0)
                #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.result") == 40)
            }
        }
    }

    @Test func aCommittedTasksEffectIsWrittenWithItsResultOnceAndAFailingEffectBecomesTheResult()
        async throws
    {
        try await Self.withDatabase { client, postgres in
            try await client.query("CREATE TABLE echoed (value int, effect_key text)")
            try await TestNode.with(
                postgres: postgres, configure: { $0.commitEffects(of: CommittedEcho.self) }
            ) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                for value in 0..<12 { try group.go(CommittedEcho(value)) }
                let results = try await group.wait()
                #expect(results.enumerated().allSatisfy { $0.offset == 7 || $0.element.value == $0.offset })
                #expect(results[7].error?.kind == .threw)
                #expect(results[7].error?.message.contains("refuses 7") == true)
            }
            let rows = try await client.query("SELECT value FROM echoed ORDER BY value")
            var values: [Int32] = []
            for try await value in rows.decode(Int32.self) { values.append(value) }
            #expect(values == (0..<12).filter { $0 != 7 }.map(Int32.init))
        }
    }

    @Test func aGroupIsSubmittedAndWaitedForThroughBackendsTerminatedUnderIt() async throws {
        try await Self.withDatabase { client, postgres in
            // A statement whose connection dies at the wrong moment can go unanswered: the node
            // gives it up after its timeout and sends it again.
            try await TestNode.with(postgres: postgres, configure: { $0.statementTimeout = .seconds(5) }) {
                node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                for value in 0..<30 { try group.go(Sleep(milliseconds: value % 3 == 0 ? 300 : 1)) }
                let waiting = Task { try await group.wait() }
                // Every other session of the database is ended, again and again, while the
                // group is written, run and waited for.
                for _ in 0..<60 {
                    // Given up after a while, as the node's own statements are: the session that
                    // terminates the others can lose its answer too.
                    _ = try? await node.timers.answer(within: .seconds(5)) {
                        _ = try await client.query(
                            """
                            SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity
                             WHERE datname = current_database() AND pid <> pg_backend_pid()
                            """)
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let results = try await waiting.value
                #expect(results.map(\.value) == (0..<30).map { $0 % 3 == 0 ? 300 : 1 })
            }
        }
    }

    /// One connection for the lease, one for notifications and at most `connections` for the
    /// rest, however many tasks run and however many groups are waited for at once.
    @Test func aNodeHoldsTheSameFewConnectionsHoweverManyTasksRunAndGroupsWait() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres, configure: { $0.connections = 3 }) { node, _ in
                let sampler = Task { () -> [String: Int64] in
                    var most: [String: Int64] = [:]
                    while !Task.isCancelled {
                        do {
                            let rows = try await client.query(
                                """
                                SELECT split_part(application_name, ' ', 1), count(*)::int8 FROM pg_stat_activity
                                 WHERE datname = current_database() AND application_name LIKE 'parallax-%'
                                 GROUP BY 1
                                """)
                            for try await (role, count) in rows.decode((String, Int64).self) {
                                most[role] = max(most[role, default: 0], count)
                            }
                        } catch {
                            break
                        }
                    }
                    return most
                }
                let right = try await withThrowingTaskGroup(of: Bool.self) { groups in
                    for _ in 0..<8 {
                        groups.addTask {
                            let group = try await node.group(of: Int.self, queue: "q")
                            for value in 0..<100 { try group.go(Echo(value)) }
                            return try await group.wait().map(\.value) == (0..<100).map { $0 }
                        }
                    }
                    return try await groups.reduce(true) { $0 && $1 }
                }
                sampler.cancel()
                let most = await sampler.value
                #expect(right)
                #expect(most["parallax-lease"] == 1)
                #expect(most["parallax-listen"] == 1)
                #expect((1...3).contains(most["parallax-work"] ?? 0), "\(most)")
            }
        }
    }

    /// A claim that commits after its node gave up waiting for it (given up after
    /// `statementTimeout`) leaves tasks the database assigns to a live node that never started
    /// them: the node gives them back, and they run.
    @Test func tasksTheDatabaseAssignsToALiveNodeThatNeverStartedThemAreGivenBackAndRun() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres, configure: { $0.statementTimeout = .seconds(1) }) {
                node, _ in
                // Written to a queue no node serves, then made to look claimed by this node an
                // hour ago on its own queue.
                let group = try await node.group(of: Int.self, queue: "parked")
                for value in 0..<5 { try group.go(Echo(value)) }
                try await Self.until(
                    client, "SELECT count(*)::int8 FROM parallax.task WHERE group_id = '\(group.id)'", is: 5)
                let id = try await Self.count(
                    client, "SELECT max(id)::int8 FROM parallax.node WHERE state = 0")
                try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE parallax.task
                               SET queue = 'q', state = 1, node_id = \(id), attempt = attempt + 1,
                                   attempt_id = nextval('parallax.attempt_seq'),
                                   claimed_at = parallax.now() - interval '1 hour',
                                   deadline_at = parallax.now() + interval '1 hour'
                             WHERE group_id = '\(group.id)'
                            """))
                let results = try await node.timers.answer(within: .seconds(30)) { try await group.wait() }
                #expect(results.map(\.value) == (0..<5).map { $0 })
                #expect(
                    try await Self.count(
                        client,
                        "SELECT count(*)::int8 FROM parallax.attempt WHERE ended_by = \(AttemptEnd.released.rawValue)"
                    ) == 5)
            }
        }
    }

    /// A consumer claims again as long as tasks may be ready (a lane had its whole share),
    /// not only when a notification or a poll says so: a queue of many drains at once.
    @Test func aQueueOfManyTasksDrainsWithoutWaitingForPolls() async throws {
        try await Self.withDatabase { _, postgres in
            // Room for 64: a claim leaves a slot for each idle lane unused, and tasks stay ready.
            try await TestNode.with(
                postgres: postgres,
                configure: {
                    $0.pollInterval = .seconds(60)
                    $0.concurrency = 64
                }
            ) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                for value in 0..<1_000 { try group.go(Echo(value)) }
                let results = try await node.timers.answer(within: .seconds(30)) { try await group.wait() }
                #expect(results.map(\.value) == (0..<1_000).map { $0 })
            }
        }
    }

    @Test func resultsStreamInTheOrderTasksFinishEachWithItsSlot() async throws {
        try await Self.withDatabase { _, postgres in
            try await TestNode.with(postgres: postgres, workers: 2) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Sleep(milliseconds: 1_500))
                try group.go(Echo(7))
                var order: [Int] = []
                for try await (slot, result) in group.results() {
                    order.append(slot)
                    #expect(result.value == (slot == 0 ? 1_500 : 7))
                }
                #expect(order == [1, 0])
            }
        }
    }

    @Test func anUnknownTaskOrAnOversizedInputIsRefusedAtTheCallSiteAndAddsNothing() async throws {
        try await Self.withDatabase { _, postgres in
            try await TestNode.with(
                postgres: postgres, workers: nil, configure: { $0.maximumPayloadSize = 64 }
            ) {
                node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                #expect(throws: SpawnError.self) { try group.go(Unregistered()) }
                let snapshots = try await node.group(of: [String].self, queue: "q")
                let tooLarge = #expect(throws: SpawnError.self) {
                    try snapshots.go(Snapshot(number: 1, values: Array(0..<100), tag: "big"))
                }
                #expect(tooLarge?.code == .payloadTooLarge)
                #expect(group.count == 0 && snapshots.count == 0)
            }
        }
    }

    @Test func failuresKeepTheirKindsAndACrashIsTriedAgainUntilItsAttemptsRunOut() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(
                postgres: postgres,
                configure: {
                    $0.setPolicy(
                        QueueTaskPolicy(maximumAttempts: 2, retryDelay: .zero, maximumRetryDelay: .zero),
                        for: Crash.self)
                }
            ) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Fail("no quota", code: 7))
                try group.go(Crash(.fatalError))
                try group.go(Echo(3))
                let results = try await group.wait()

                let thrown = try #require(results[0].error)
                #expect(thrown.kind == .threw && thrown.code == 7 && thrown.message.contains("no quota"))

                let exhausted = try #require(results[1].error)
                #expect(exhausted.kind == .attemptsExhausted && exhausted.reason == .attemptsExhausted)
                #expect(exhausted.message.contains("2 attempt"))
                #expect(exhausted.trace.contains("the task gave up on purpose"), "the crash reason survives")
                #expect(exhausted.trace.contains("attempt 2"), "the attempts are listed")
                #expect(exhausted.termination != nil)

                #expect(results[2].value == 3, "a crashing sibling affects nothing")
                #expect(
                    try await Self.count(
                        client, "SELECT count(*)::int8 FROM parallax.attempt WHERE ended_by = 2") == 2)
            }
        }
    }

    @Test func aProducerThatRunsAgainWithTheSameKeyAddsNothingTwiceAndGetsEveryResult() async throws {
        try await Self.withDatabase { client, postgres in
            // The first producer adds three tasks and stops before anyone ran them. Its group is
            // detached: one that is not would be cancelled once its owner is lost, unless the
            // next run took it over before the reaper saw the owner gone.
            try await TestNode.with(postgres: postgres, workers: nil) { node, _ in
                let group = try await node.group(
                    of: Int.self, queue: "q", idempotencyKey: "nightly-1", detached: true)
                for value in 0..<3 { try group.go(Echo(value)) }
                try await Self.until(client, "SELECT added::int8 FROM parallax.task_group", is: 3)
                #expect(!group.attached)
            }
            // It runs again: the same calls attach to the group; a node serves the queue.
            try await TestNode.with(postgres: postgres) { node, _ in
                let group = try await node.group(of: Int.self, queue: "q", idempotencyKey: "nightly-1")
                #expect(group.attached)
                for value in 0..<3 { try group.go(Echo(value)) }
                #expect(try await group.wait().map(\.value) == [0, 1, 2])

                // A third run after the results landed adds nothing and reads them back.
                let again = try await node.group(of: Int.self, queue: "q", idempotencyKey: "nightly-1")
                for value in 0..<3 { try again.go(Echo(value)) }
                #expect(try await again.wait().map(\.value) == [0, 1, 2])
                let attached = try await node.attach(of: Int.self, idempotencyKey: "nightly-1")
                #expect(try await attached.wait().map(\.value) == [0, 1, 2])
            }
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.attempt") == 3,
                "each ran once")
        }
    }

    @Test func cancellingAGroupKillsItsRunningTaskOnItsHostAndFinishesTheRest() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres, workers: 1, configure: { $0.concurrency = 1 }) {
                node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Hang())
                try group.go(Echo(1))
                try await Self.until(
                    client, "SELECT count(*)::int8 FROM parallax.task WHERE state = 1", is: 1)
                try await group.cancel()
                let results = try await group.wait()
                #expect(results.allSatisfy { $0.error?.kind == .cancelled })
                #expect(
                    results[0].error?.message.contains("while running") == true, "the hung task was killed")
            }
        }
    }

    @Test func aGroupWhoseProducerIsGoneIsCancelledAndItsRunningTaskKilledUnlessDetached() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres, workers: 1, configure: { $0.concurrency = 1 }) {
                consumer, _ in
                // A producer sends two groups and stops without waiting: one bound to it, one
                // detached.
                let (bound, detached) = try await TestNode.with(postgres: postgres, workers: nil) {
                    producer, _ in
                    let bound = try await producer.group(of: Int.self, queue: "q")
                    try bound.go(Hang())
                    try bound.go(Echo(1))
                    try await Self.until(
                        client, "SELECT count(*)::int8 FROM parallax.task WHERE state = 1", is: 1)
                    let detached = try await producer.group(of: Int.self, queue: "q", detached: true)
                    try detached.go(Echo(2))
                    try await Self.until(
                        client, "SELECT count(*)::int8 FROM parallax.task_group WHERE added > 0", is: 2)
                    return (bound.id, detached.id)
                }
                let boundResults = try await consumer.attach(of: Int.self, group: bound, detached: true)
                    .wait()
                #expect(
                    boundResults[0].error?.kind == .cancelled
                        && boundResults[0].error?.message.contains("while running") == true,
                    "the hung task was killed on its host")
                #expect(
                    boundResults[1].error?.kind == .cancelled
                        && boundResults[1].error?.message.contains("owned its group was lost") == true)
                let detachedResults = try await consumer.attach(of: Int.self, group: detached).wait()
                #expect(detachedResults.map(\.value) == [2], "a detached group runs to its end")
            }
        }
    }

    @Test func aNodeThatCannotRenewItsLeaseKillsItsWorkersBeforeAnotherNodeMayTakeOver() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(
                postgres: postgres, workers: 1,
                configure: {
                    $0.leaseDuration = .seconds(3)
                    $0.renewalInterval = .milliseconds(300)
                    $0.leaseMargin = .seconds(1)
                    $0.reaperGrace = .milliseconds(500)
                }
            ) { node, pool in
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Hang())
                try await Self.until(
                    client, "SELECT count(*)::int8 FROM parallax.task WHERE state = 1", is: 1)
                let first = try #require(node.nodeID)
                let workers = try #require(pool).workers
                let pids = workers.compactMap(\.pid)
                #expect(pids.count == 1)

                // Another session locks the node's row: its renewals wait, as under a partition.
                try await client.withTransaction(logger: TestNode.logger) { blocker in
                    try await blocker.query(
                        "SELECT id FROM parallax.node WHERE id = \(first) FOR UPDATE", logger: TestNode.logger
                    )
                    // Within its lease less the margin, the node kills its worker on its own.
                    for _ in 0..<1_000 where !node.isFenced { try await Task.sleep(for: .milliseconds(10)) }
                    #expect(node.isFenced)
                    for pid in pids {
                        for _ in 0..<500 where kill(pid, 0) == 0 {
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        #expect(kill(pid, 0) != 0, "worker \(pid) was killed")
                    }
                }
                // The node registers again; the reaper takes the task back once the old lease has
                // expired, and it runs again under a new token.
                try await Self.until(
                    client, "SELECT count(*)::int8 FROM parallax.attempt WHERE ended_by = 5", is: 1)
                try await Self.until(
                    client, "SELECT count(*)::int8 FROM parallax.task WHERE state = 1", is: 1)
                #expect(node.nodeID != first)
                try await group.cancel()
                #expect(try await group.wait().map { $0.error?.kind } == [.cancelled])
            }
        }
    }

    @Test func aLoneTaskInTheLowLaneRunsOnItsNotificationWithoutWaitingForAPoll() async throws {
        try await Self.withDatabase { _, postgres in
            // No poll within the test's time limit: only the notification can wake the node.
            try await TestNode.with(
                postgres: postgres,
                configure: {
                    $0.pollInterval = .seconds(3_600)
                    $0.concurrency = 1
                }
            ) {
                node, _ in
                for lane in [QueueLane.low, .critical, .low] {
                    let group = try await node.group(of: Int.self, queue: "q", lane: lane)
                    try group.go(Echo(lane.index))
                    #expect(try await group.wait().map(\.value) == [lane.index])
                }
            }
        }
    }

    @Test func aGracefulShutdownOfItsServiceGroupLetsTheNodeWriteWhatItStillRuns() async throws {
        try await Self.withDatabase { client, postgres in
            let pool = WorkerPool(
                configuration: WorkerPool.Configuration(
                    workerCount: 1, executable: .path(TestNode.workerPath)),
                tasks: TestTasks.registry, services: ServiceRegistry(), logger: TestNode.logger,
                metricsFactory: NOOPMetricsHandler.instance)
            let node = QueueNode(
                postgres: postgres, tasks: TestTasks.registry, consumingInto: pool,
                configuration: TestNode.configuration { $0.concurrency = 1 }, logger: TestNode.logger)
            let services = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: pool), .init(service: node)], logger: TestNode.logger))
            try await withThrowingTaskGroup(of: Void.self) { running in
                running.addTask { try await services.run() }
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Sleep(milliseconds: 600))
                for _ in 0..<1_000 where node.heldAttempts.isEmpty {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try #require(node.heldAttempts.count == 1)
                // The group's graceful shutdown reaches the node's database clients too: they
                // must outlive the node's drain.
                await services.triggerGracefulShutdown()
                try await running.waitForAll()
            }
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.result WHERE outcome = 0")
                    == 1,
                "the running task finished and its result was written")
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.node WHERE state = 2") == 1)
        }
    }

    @Test func aNodeThatStopsGracefullyFinishesAndRecordsWhatItRunsAndLeavesTheRestForOthers() async throws {
        try await Self.withDatabase { client, postgres in
            try await TestNode.with(postgres: postgres, workers: 1, configure: { $0.concurrency = 1 }) {
                node, _ in
                let group = try await node.group(of: Int.self, queue: "q")
                try group.go(Sleep(milliseconds: 600))
                try group.go(Echo(2))
                // Claimed is not yet started: a node that stops between the two gives the task
                // back. Wait until the node holds the attempt.
                for _ in 0..<1_000 where node.heldAttempts.isEmpty {
                    try await Task.sleep(for: .milliseconds(10))
                }
                try #require(node.heldAttempts.count == 1)
                // Leaving the body stops the node gracefully while the sleep runs.
            }
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.result WHERE outcome = 0")
                    == 1,
                "the running task finished and its result was written")
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task WHERE state = 0") == 1,
                "the task it had not claimed is left ready for another node")
            #expect(
                try await Self.count(client, "SELECT count(*)::int8 FROM parallax.node WHERE state = 2") == 1,
                "a node that stops holding nothing is marked dead at once, not after its lease")
        }
    }
}

/// ``Echo`` as the parent sees it: the same task (name and encoding), whose effect is committed.
struct CommittedEcho: CommittedTask {
    static var taskName: String { Echo.taskName }
    var value: Int
    init(_ value: Int) { self.value = value }
    func run(in context: WorkerContext) async throws -> Int { value }

    /// Records the value in `echoed`; refuses 7, after writing it (rolled back).
    static func commit(_ output: Int, of task: QueueCommit, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            "INSERT INTO echoed VALUES (\(Int32(output)), \(task.effectKey))", logger: logger)
        if output == 7 { throw EchoRefused(value: output) }
    }
}

struct EchoRefused: Error, CustomStringConvertible {
    var value: Int
    var description: String { "the effect refuses \(value)" }
}

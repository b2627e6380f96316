import FoundationEssentials
import Logging
import Parallax
import PostgresNIO
import Testing

@testable import ParallaxPostgres

/// The queue's protocol on a real PostgreSQL server: leases on the database's clock, claims with
/// a fresh attempt token, completions fenced by it, and the reaper. The database's clock is stopped
/// (`parallax.clock.frozen_at`) and time moves only when a test moves it, never by sleeping, so a
/// check that something has not happened yet holds however slowly the test runs.
@Suite(.postgresInstalled, .privatePostgres, .timeLimit(.minutes(2)))
struct QueueProtocolTests {
    static let logger = Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }
    static let ttl = Duration.seconds(15)

    /// A migrated database, its clock stopped, and its statements.
    static func withQueue<Result: Sendable>(
        _ body: @Sendable (QueueStatements, PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await #require(PrivatePostgres.current).withDatabase { client in
            try await QueueSchema.migrate(client, logger: logger)
            try await client.query(
                "INSERT INTO parallax.clock (offset_by, frozen_at) VALUES (interval '0', clock_timestamp())")
            return try await body(QueueStatements(client: client, logger: logger), client)
        }
    }

    /// Moves the database's clock forward by `seconds`.
    static func advance(_ client: PostgresClient, seconds: Int) async throws {
        try await client.query(
            """
            INSERT INTO parallax.clock (offset_by) VALUES (make_interval(secs => \(Double(seconds))))
            ON CONFLICT (only_row) DO UPDATE SET offset_by = parallax.clock.offset_by + excluded.offset_by
            """)
    }

    static func tasks(_ count: Int) -> [(kind: String, payload: [UInt8])] {
        (0..<count).map { ("test.echo", [UInt8(truncatingIfNeeded: $0)]) }
    }

    /// Submits `count` tasks to queue `q`, their payloads their slot numbers.
    static func submit(
        _ queue: QueueStatements, owner: Int64, count: Int, maxAttempts: Int16 = 3, key: String? = nil
    ) async throws -> (group: UUID, attached: Bool) {
        try await queue.submit(
            queue: "q", idempotencyKey: key, owner: owner, tasks: tasks(count), timeout: .seconds(60),
            maxAttempts: maxAttempts)
    }

    @Test func aClaimedTaskCompletesThroughItsAttemptTokenAndLeavesTheHotTable() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, attached) = try await Self.submit(queue, owner: node, count: 3, maxAttempts: 3)
            #expect(!attached)
            let claimed = try await queue.claim(node: node, queue: "q", limit: 10)
            #expect(claimed.map(\.slot) == [0, 1, 2])
            #expect(claimed.allSatisfy { $0.attempt == 1 && $0.group == group })
            #expect(Set(claimed.map(\.attemptID)).count == 3, "every attempt has a token of its own")
            #expect(try await queue.claim(node: node, queue: "q", limit: 10).isEmpty, "claimed once")
            for task in claimed {
                let landed = try await queue.complete(
                    node: node, task: task.task, attemptID: task.attemptID, outcome: .value,
                    payload: task.payload)
                #expect(landed)
            }
            let results = try await queue.results(group: group)
            #expect(results.map(\.slot) == [0, 1, 2])
            #expect(results.map(\.payload) == [[0], [1], [2]])
            #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 0)
        }
    }

    @Test func completionsLandTogetherInOneStatementAndAStaleOneAmongThemIsRejected() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: node, count: 3)
            let claimed = try await queue.claim(node: node, queue: "q", limit: 3)
            var completions = claimed.map {
                QueueStatements.Completion(
                    task: $0.task, attemptID: $0.attemptID, outcome: .value, payload: $0.payload)
            }
            completions[1].attemptID += 1_000  // a token that is not the attempt's
            let outcome = try await queue.complete(node: node, completions)
            #expect(outcome.landed == [claimed[0].task, claimed[2].task])
            #expect(outcome.stale == [claimed[1].task])
            #expect(try await queue.results(group: group).map(\.slot) == [0, 2])
            #expect(try await Self.ends(client, task: claimed[1].task) == [AttemptEnd.staleRejected.rawValue])
            #expect(try await Self.ends(client, task: claimed[0].task) == [AttemptEnd.completed.rawValue])
        }
    }

    @Test func effectsCommitWithTheResultsThatLandAndNeverWithAStaleOneAndAThrowingEffectRollsBackAlone()
        async throws
    {
        try await Self.withQueue { queue, client in
            try await client.query("CREATE TABLE effect (task bigint, slot int, key text)")
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: node, count: 4)
            let claimed = try await queue.claim(node: node, queue: "q", limit: 4)
            let committer = EffectCommitter { _, task, connection, logger in
                try await connection.query(
                    "INSERT INTO effect VALUES (\(task.taskID), \(task.slot), \(task.effectKey))",
                    logger: logger)
                if task.slot == 2 { throw EffectRefused() }  // after its insert: rolled back
            }
            var completions = claimed.map {
                QueueStatements.Completion(
                    task: $0.task, attemptID: $0.attemptID, outcome: .value, payload: $0.payload)
            }
            completions[1].attemptID += 1_000  // stale
            completions[3].outcome = .thrown  // not a value: no effect
            let outcome = try await queue.complete(
                node: node, completions, committing: ["test.echo": committer])
            #expect(outcome.stale == [claimed[1].task])
            let rows = try await client.query("SELECT slot, key FROM effect ORDER BY slot")
            var effects: [(Int32, String)] = []
            for try await row in rows.decode((Int32, String).self) { effects.append(row) }
            #expect(effects.map(\.0) == [0], "one effect: not the stale one, not the rolled back one")
            #expect(effects.first?.1 == "\(group.uuidString.lowercased())/0")
            let results = try await queue.results(group: group)
            #expect(results.map(\.slot) == [0, 2, 3])
            #expect(
                results.map(\.outcome) == [.value, .thrown, .thrown], "the effect's error is slot 2's result")
        }
    }

    struct EffectRefused: Error {}

    @Test func aCompletionFromAnAttemptTheReaperTookBackIsRejectedAndLogged() async throws {
        try await Self.withQueue { queue, client in
            let first = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: first, count: 1, maxAttempts: 3)
            let stale = try #require(try await queue.claim(node: first, queue: "q", limit: 1).first)

            // The first node stops renewing (frozen, partitioned). Within its lease plus the grace,
            // nothing moves; past them, the reaper takes the task back.
            try await Self.advance(client, seconds: 16)
            #expect(try await queue.reap(grace: .seconds(10)).deadNodes.isEmpty)
            try await Self.advance(client, seconds: 10)
            let reaped = try await queue.reap(grace: .seconds(10))
            #expect(reaped.deadNodes == [first])
            #expect(reaped.requeued == [stale.task])
            #expect(
                try await queue.renewLease(node: first).renewed == false, "an expired lease stays expired")
            #expect(
                try await queue.claim(node: first, queue: "q", limit: 1).isEmpty, "a dead node claims nothing"
            )

            let second = try await queue.registerNode(host: "b", pid: 2, ttl: Self.ttl, queues: ["q"])
            let current = try #require(try await queue.claim(node: second, queue: "q", limit: 1).first)
            #expect(
                current.task == stale.task && current.attempt == 2 && current.attemptID != stale.attemptID)

            // The first node wakes up and completes with its old token: the fence rejects it.
            let staleLanded = try await queue.complete(
                node: first, task: stale.task, attemptID: stale.attemptID, outcome: .value, payload: [9])
            #expect(!staleLanded)
            #expect(try await queue.results(group: group).isEmpty)
            let currentLanded = try await queue.complete(
                node: second, task: current.task, attemptID: current.attemptID, outcome: .value, payload: [1])
            #expect(currentLanded)
            let results = try await queue.results(group: group)
            #expect(results.map(\.payload) == [[1]] && results.map(\.attempts) == [2])
            // The attempt log has every end: the reaped one, the rejected one, the landed one.
            let ends = try await Self.ends(client, task: stale.task)
            #expect(ends == [AttemptEnd.reapedHostLost.rawValue, AttemptEnd.staleRejected.rawValue, 0])
        }
    }

    @Test func aTaskWhoseHostsKeepDyingFinishesAsLost() async throws {
        try await Self.withQueue { queue, client in
            let producer = try await queue.registerNode(host: "p", pid: 1, ttl: .seconds(3_600), queues: [])
            let (group, _) = try await Self.submit(queue, owner: producer, count: 1, maxAttempts: 3)
            for host in 0..<3 {
                let node = try await queue.registerNode(
                    host: "h\(host)", pid: 2, ttl: Self.ttl, queues: ["q"])
                #expect(try await queue.claim(node: node, queue: "q", limit: 1).count == 1)
                try await Self.advance(client, seconds: 20)
                _ = try await queue.reap(grace: .seconds(2))
            }
            let results = try await queue.results(group: group)
            #expect(results.map(\.outcome) == [.lost])
            #expect(results.map(\.attempts) == [3])
        }
    }

    @Test func anOverdueAttemptOfALiveNodeIsFinishedAsTimedOutAndNoLongerHeld() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: node, count: 1, maxAttempts: 3)
            let claimed = try #require(try await queue.claim(node: node, queue: "q", limit: 1).first)
            // The deadline is the timeout plus one lease: 75 s. The node keeps renewing.
            for _ in 0..<7 {
                try await Self.advance(client, seconds: 10)
                #expect(try await queue.renewLease(node: node).held == [claimed.attemptID])
                #expect(try await queue.reap(grace: .seconds(2)).overdue.isEmpty)
            }
            try await Self.advance(client, seconds: 6)
            #expect(try await queue.reap(grace: .seconds(2)).overdue == [claimed.task])
            #expect(try await queue.renewLease(node: node).held.isEmpty, "the node must kill what still runs")
            #expect(try await queue.results(group: group).map(\.outcome) == [.timedOut])
            let late = try await queue.complete(
                node: node, task: claimed.task, attemptID: claimed.attemptID, outcome: .value, payload: [])
            #expect(!late)
            #expect(
                try await Self.ends(client, task: claimed.task)
                    == [AttemptEnd.reapedOverdue.rawValue, AttemptEnd.staleRejected.rawValue])
        }
    }

    @Test func cancellingAGroupFinishesWhatHasNotStartedAndFlagsWhatRunsForItsNode() async throws {
        try await Self.withQueue { queue, _ in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: node, count: 3, maxAttempts: 3)
            let running = try #require(try await queue.claim(node: node, queue: "q", limit: 1).first)
            let cancelled = try await queue.cancel(group: group)
            #expect(cancelled.running == [running.task])
            #expect(cancelled.notStarted.count == 2)
            #expect(try await queue.claim(node: node, queue: "q", limit: 10).isEmpty, "nothing left to start")
            // The node learns it from its renewal, notification or not, and ends the attempt.
            #expect(try await queue.renewLease(node: node).cancelled == [running.attemptID])
            let ended = try await queue.complete(
                node: node, task: running.task, attemptID: running.attemptID, outcome: .cancelled, payload: []
            )
            #expect(ended)
            let outcomes = try await queue.results(group: group).map(\.outcome)
            #expect(outcomes == [.cancelled, .cancelled, .cancelled])
        }
    }

    @Test func aFailedAttemptIsRetriedAfterItsBackoffUntilItsAttemptsRunOut() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: .seconds(3_600), queues: ["q"])
            let (group, _) = try await Self.submit(queue, owner: node, count: 1, maxAttempts: 2)
            let first = try #require(try await queue.claim(node: node, queue: "q", limit: 1).first)
            let retried = try await queue.retry(
                node: node, task: first.task, attemptID: first.attemptID, after: .seconds(30), failure: [1])
            #expect(retried == .requeued)
            try await Self.advance(client, seconds: 25)
            #expect(try await queue.claim(node: node, queue: "q", limit: 1).isEmpty, "not before its backoff")
            try await Self.advance(client, seconds: 5)
            let second = try #require(try await queue.claim(node: node, queue: "q", limit: 1).first)
            #expect(second.attempt == 2)
            let again = try await queue.retry(
                node: node, task: first.task, attemptID: first.attemptID, after: .seconds(30), failure: [1])
            #expect(again == .stale, "the first attempt's token no longer counts")
            let last = try await queue.retry(
                node: node, task: second.task, attemptID: second.attemptID, after: .seconds(30), failure: [2])
            #expect(last == .exhausted)
            let results = try await queue.results(group: group)
            #expect(results.map(\.outcome) == [.exhausted])
            #expect(results.map(\.payload) == [[2]] && results.map(\.attempts) == [2])
        }
    }

    @Test func resubmittingWithTheSameKeyAttachesToTheGroup() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            let first = try await Self.submit(queue, owner: node, count: 4, key: "batch-7")
            let again = try await Self.submit(queue, owner: node, count: 4, key: "batch-7")
            #expect(!first.attached && again.attached && again.group == first.group)
            #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 4)
        }
    }

    /// Adds `count` tasks to `group`, their slots from `first`.
    static func add(_ queue: QueueStatements, group: UUID, count: Int, from first: Int = 0) async throws
        -> Int
    {
        try await queue.addTasks(
            group: group, queue: "q",
            (first..<first + count).map { .init(slot: $0, kind: "test.echo", payload: [UInt8($0)]) },
            policy: .init(timeout: .seconds(60), maxAttempts: 3))
    }

    @Test func aGroupWhoseOwnerIsLostIsCancelledOnceUnlessItKeepsRunning() async throws {
        try await Self.withQueue { queue, client in
            let producer = try await queue.registerNode(host: "p", pid: 1, ttl: Self.ttl, queues: [])
            let consumer = try await queue.registerNode(
                host: "c", pid: 2, ttl: .seconds(3_600), queues: ["q"])
            let (bound, _) = try await queue.createGroup(
                queue: "q", idempotencyKey: nil, owner: producer, cancelledOnOwnerLoss: true)
            let (free, _) = try await queue.createGroup(
                queue: "q", idempotencyKey: nil, owner: producer, cancelledOnOwnerLoss: false)
            #expect(try await Self.add(queue, group: bound, count: 3) == 3)
            #expect(try await Self.add(queue, group: free, count: 2) == 2)
            let running = try #require(try await queue.claim(node: consumer, queue: "q", limit: 1).first)
            #expect(running.group == bound)

            #expect(try await queue.reap(grace: .seconds(1)).ownerLost.isEmpty, "its owner is alive")
            try await Self.advance(client, seconds: 17)
            let reaped = try await queue.reap(grace: .seconds(1))
            #expect(reaped.deadNodes == [producer])
            #expect(reaped.ownerLost == [bound], "the group that keeps running is left alone")

            // What had not started finished as cancelled, saying why; what runs is flagged for
            // its node, which learns it from its renewal.
            let results = try await queue.results(group: bound)
            #expect(results.map(\.slot) == [1, 2] && results.allSatisfy { $0.outcome == .cancelled })
            let reason = try #require(results.first?.payload)
            #expect(
                try WireCodec.decode(TaskError.self, from: reason[...]).message.contains(
                    "owned its group was lost"))
            #expect(try await queue.renewLease(node: consumer).cancelled == [running.attemptID])
            #expect(
                try await Self.count(
                    client, "SELECT count(*)::int8 FROM parallax.task WHERE group_id = '\(free)'")
                    == 2)

            // Once: the next pass finds nothing; a task added to the cancelled group never queues.
            #expect(try await queue.reap(grace: .seconds(1)).ownerLost.isEmpty)
            #expect(try await Self.add(queue, group: bound, count: 1, from: 3) == 0)
            #expect(try await queue.results(group: bound, slots: [3]).map(\.outcome) == [.cancelled])
            #expect(
                try await queue.claim(node: consumer, queue: "q", limit: 10).map(\.group) == [free, free])
            // Taking the group over after its owner was lost changes nothing.
            try await queue.own(group: bound, owner: consumer)
            #expect(
                try await Self.count(
                    client, "SELECT count(*)::int8 FROM parallax.task_group WHERE owner_node = \(consumer)")
                    == 0)
        }
    }

    @Test func aGroupTakenOverInTimeByItsKeyOrByANewRegistrationOutlivesItsFirstOwner() async throws {
        try await Self.withQueue { queue, client in
            let first = try await queue.registerNode(host: "p", pid: 1, ttl: Self.ttl, queues: [])
            let (keyed, _) = try await queue.createGroup(
                queue: "q", idempotencyKey: "nightly", owner: first, cancelledOnOwnerLoss: true)
            #expect(try await Self.add(queue, group: keyed, count: 2) == 2)
            let second = try await queue.registerNode(host: "p", pid: 2, ttl: Self.ttl, queues: [])
            let again = try await queue.createGroup(
                queue: "q", idempotencyKey: "nightly", owner: second, cancelledOnOwnerLoss: true)
            #expect(again.attached && again.group == keyed)
            let (unkeyed, _) = try await queue.createGroup(
                queue: "q", idempotencyKey: nil, owner: second, cancelledOnOwnerLoss: true)
            #expect(try await Self.add(queue, group: unkeyed, count: 1) == 1)

            // The second producer's lease lapses; it registers again, naming its old id.
            try await Self.advance(client, seconds: 14)
            let third = try await queue.registerNode(
                host: "p", pid: 2, ttl: Self.ttl, queues: [], previous: second)
            try await Self.advance(client, seconds: 3)
            let reaped = try await queue.reap(grace: .seconds(1))
            #expect(Set(reaped.deadNodes) == [first, second])
            #expect(reaped.ownerLost.isEmpty, "both groups have a live owner")
            #expect(
                try await Self.count(
                    client, "SELECT count(*)::int8 FROM parallax.task_group WHERE owner_node = \(third)") == 2
            )
            #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 3)
        }
    }

    @Test func anOutageLongerThanEveryLeaseLosesNoOwnerAndOneThatRegistersAgainKeepsItsGroups() async throws {
        try await Self.withQueue { queue, client in
            let producer = try await queue.registerNode(host: "p", pid: 1, ttl: Self.ttl, queues: [])
            let consumer = try await queue.registerNode(host: "c", pid: 2, ttl: Self.ttl, queues: ["q"])
            let (group, _) = try await queue.createGroup(
                queue: "q", idempotencyKey: nil, owner: producer, cancelledOnOwnerLoss: true)
            #expect(try await Self.add(queue, group: group, count: 2) == 2)

            // The database was out of reach for longer than the leases: every one lapsed.
            try await Self.advance(client, seconds: 20)
            let consumerAgain = try await queue.registerNode(
                host: "c", pid: 2, ttl: .seconds(3_600), queues: ["q"], previous: consumer)
            let reaped = try await queue.reap(grace: .seconds(1))
            #expect(Set(reaped.deadNodes) == [producer, consumer])
            #expect(reaped.ownerLost.isEmpty, "nobody held a lease while the producer could not")
            let producerAgain = try await queue.registerNode(
                host: "p", pid: 1, ttl: Self.ttl, queues: [], previous: producer)
            #expect(try await queue.reap(grace: .seconds(1)).ownerLost.isEmpty)
            #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 2)

            // Its new registration owns the group: when it is lost while the consumer holds its
            // lease, the group is cancelled.
            try await Self.advance(client, seconds: 17)
            let later = try await queue.reap(grace: .seconds(1))
            #expect(later.deadNodes == [producerAgain] && later.ownerLost == [group])
            #expect(try await queue.renewLease(node: consumerAgain).renewed)
            #expect(try await Self.count(client, "SELECT count(*)::int8 FROM parallax.task") == 0)
        }
    }

    @Test func aLiveLeaseIsRenewedAndListsTheAttemptsItHolds() async throws {
        try await Self.withQueue { queue, client in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            _ = try await Self.submit(queue, owner: node, count: 2, maxAttempts: 3)
            let claimed = try await queue.claim(node: node, queue: "q", limit: 2)
            // Renewed every 10 s of database time, the lease never lapses.
            for _ in 0..<5 {
                try await Self.advance(client, seconds: 10)
                let renewal = try await queue.renewLease(node: node)
                #expect(renewal.renewed)
                #expect(Set(renewal.held) == Set(claimed.map(\.attemptID)))
                #expect(try await queue.reap(grace: .seconds(2)).deadNodes.isEmpty)
            }
        }
    }

    static func count(_ client: PostgresClient, _ sql: String) async throws -> Int64 {
        for try await count in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Int64.self) {
            return count
        }
        return -1
    }

    static func ends(_ client: PostgresClient, task: Int64) async throws -> [Int16] {
        var ends: [Int16] = []
        let rows = try await client.query(
            "SELECT ended_by FROM parallax.attempt WHERE task_id = \(task) ORDER BY ended_at, attempt_id")
        for try await end in rows.decode(Int16.self) { ends.append(end) }
        return ends
    }

    @Test func aClaimByLaneTakesEachLanesShareOldestFirstAndTheRestInLaneOrder() async throws {
        try await Self.withQueue { queue, _ in
            let node = try await queue.registerNode(host: "a", pid: 1, ttl: Self.ttl, queues: ["q"])
            var groups: [UUID] = []
            for lane in 0..<4 {
                let (group, _) = try await queue.createGroup(queue: "q", idempotencyKey: nil, owner: node)
                let tasks = (0..<10).map { QueueStatements.NewTask(slot: $0, kind: "test.echo", payload: []) }
                try await queue.addTasks(
                    group: group, queue: "q", lane: lane, tasks,
                    policy: QueueStatements.TaskPolicy(timeout: .seconds(60), maxAttempts: 3))
                groups.append(group)
            }
            let shared = try await queue.claim(node: node, queue: "q", shares: [8, 4, 2, 1])
            let perLane = groups.map { group in shared.filter { $0.group == group }.map(\.slot) }
            #expect(perLane == [Array(0..<8), Array(0..<4), [0, 1], [0]], "each lane's share, oldest first")

            // The rest in lane order: the critical lane's last two, then the high lane's.
            let rest = try await queue.claim(node: node, queue: "q", limit: 5)
            #expect(rest.map(\.group) == [groups[0], groups[0], groups[1], groups[1], groups[1]])
        }
    }
}

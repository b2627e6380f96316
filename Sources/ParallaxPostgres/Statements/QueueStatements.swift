package import FoundationEssentials
package import Logging
import NIOCore
import Parallax
package import PostgresNIO

/// The statements of the queue's protocol: a node's lease, submitting a group, claiming tasks with
/// a fresh attempt token, completing them through that token (the fence), and reaping the tasks
/// of dead nodes. Every time is the database's (`parallax.now()`).
package struct QueueStatements: Sendable {
    package let client: PostgresClient
    package let logger: Logger

    package init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs a statement that writes in a transaction of its own, and reads its rows inside it.
    ///
    /// A lone statement's implicit transaction commits when the server handles the `Sync` that
    /// follows it, after its rows and its completion were sent: a session ended in between (a
    /// terminated backend, a crash) rolls it back, and a client that stops reading at the
    /// completion, as postgres-nio's `query` does, takes it for done. Tasks added that way were
    /// lost, and a claim could start a task the database still offered to others. A `COMMIT`
    /// answers after the commit, so a statement that returns here is committed.
    @discardableResult
    private func written(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.withTransaction(logger: logger) { [logger] connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    /// Runs a prepared statement that writes in a transaction of its own, as ``written(_:)-(PostgresQuery)``.
    private func written<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws
        -> [Statement.Row] where Statement.Row: Sendable
    {
        try await client.withTransaction(logger: logger) { [logger] connection in
            var rows: [Statement.Row] = []
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }

    // MARK: Nodes and leases

    /// Registers a node (one process, a new id at every start) with a lease of `ttl`. A node that
    /// registers again after its lease lapsed names its `previous` id: the groups it owned that
    /// are not lost yet become the new id's.
    package func registerNode(
        host: String, pid: Int32, ttl: Duration, queues: [String], previous: Int64? = nil
    ) async throws -> Int64 {
        let seconds = ttl.timeInterval
        let rows = try await written(
            """
            WITH registered AS (
                INSERT INTO parallax.node (host, pid, lease_ttl, lease_expires_at, queues)
                VALUES (\(host), \(Int32(pid)), make_interval(secs => \(seconds)),
                        parallax.now() + make_interval(secs => \(seconds)), \(queues))
                RETURNING id
            ), moved AS (
                UPDATE parallax.task_group SET owner_node = (SELECT id FROM registered)
                 WHERE owner_node = \(previous) AND on_owner_loss = 0 AND owner_lost_at IS NULL
            )
            SELECT id FROM registered
            """)
        for row in rows { return try row.decode(Int64.self) }
        throw QueueError("registering the node returned no id")
    }

    /// What a lease renewal learned.
    package struct Renewal: Sendable {
        /// Whether the lease was renewed; once expired, a node's lease is never renewed again.
        package var renewed: Bool
        /// The attempts the database assigns to the node now: any other local attempt must die.
        package var held: [Int64]
        /// The attempts of the node whose cancellation was requested.
        package var cancelled: [Int64]
    }

    /// Renews the node's lease unless it expired already.
    package func renewLease(node: Int64) async throws -> Renewal {
        let rows = try await written(
            """
            WITH renewed AS (
                UPDATE parallax.node SET lease_expires_at = parallax.now() + lease_ttl
                 WHERE id = \(node) AND state = 0 AND lease_expires_at > parallax.now()
                RETURNING id)
            SELECT (SELECT count(*) FROM renewed)::int8,
                   array(SELECT attempt_id FROM parallax.task
                          WHERE node_id = \(node) AND state = 1 AND EXISTS (SELECT 1 FROM renewed)),
                   array(SELECT attempt_id FROM parallax.task
                          WHERE node_id = \(node) AND state = 1 AND cancel_requested_at IS NOT NULL)
            """)
        for row in rows {
            let (count, held, cancelled) = try row.decode((Int64, [Int64], [Int64]).self)
            return Renewal(renewed: count == 1, held: held, cancelled: cancelled)
        }
        throw QueueError("the lease renewal returned no row")
    }

    // MARK: Submitting

    /// A task to add to a group, encoded.
    package struct NewTask: Sendable {
        package var slot: Int
        package var kind: String
        package var payload: [UInt8]

        package init(slot: Int, kind: String, payload: [UInt8]) {
            self.slot = slot
            self.kind = kind
            self.payload = payload
        }
    }

    /// How the tasks of a group are run: their time limit, and how often and how soon a task whose
    /// worker died is tried again.
    package struct TaskPolicy: Sendable {
        package var timeout: Duration
        package var maxAttempts: Int16
        package var backoffInitial: Duration = .seconds(1)
        package var backoffMaximum: Duration = .seconds(300)

        package init(timeout: Duration, maxAttempts: Int16) {
            self.timeout = timeout
            self.maxAttempts = maxAttempts
        }
    }

    /// Creates a group on `queue` owned by `owner`, or, when a group with `idempotencyKey`
    /// exists, finds it and makes `owner` its owner (unless its owner was lost already). A group
    /// that is `cancelledOnOwnerLoss` is cancelled once its owner is lost (see
    /// ``reap(grace:)``); any other keeps running.
    /// - Returns: The group's id, and whether it existed before.
    package func createGroup(
        queue: String, idempotencyKey: String?, owner: Int64, cancelledOnOwnerLoss: Bool = false
    ) async throws -> (group: UUID, attached: Bool) {
        let onOwnerLoss: Int16 = cancelledOnOwnerLoss ? 0 : 1
        let rows = try await written(
            """
            WITH created AS (
                INSERT INTO parallax.task_group (idem_key, queue, owner_node, on_owner_loss)
                VALUES (\(idempotencyKey), \(queue), \(owner), \(onOwnerLoss))
                ON CONFLICT (idem_key) DO NOTHING
                RETURNING id
            ), taken AS (
                UPDATE parallax.task_group SET owner_node = \(owner), on_owner_loss = \(onOwnerLoss)
                 WHERE idem_key = \(idempotencyKey) AND owner_lost_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM created)
            )
            SELECT id, false FROM created
            UNION ALL
            SELECT id, true FROM parallax.task_group
             WHERE idem_key = \(idempotencyKey) AND NOT EXISTS (SELECT 1 FROM created)
            """)
        for row in rows { return try row.decode((UUID, Bool).self) }
        // A concurrent creator's row is not visible to this statement's snapshot yet: look again.
        return try await createGroup(
            queue: queue, idempotencyKey: idempotencyKey, owner: owner,
            cancelledOnOwnerLoss: cancelledOnOwnerLoss)
    }

    /// Makes `owner` the owner of `group`, to be cancelled once `owner` is lost, unless the
    /// group's owner was lost already.
    package func own(group: UUID, owner: Int64) async throws {
        try await written(
            """
            UPDATE parallax.task_group SET owner_node = \(owner), on_owner_loss = 0
             WHERE id = \(group) AND owner_lost_at IS NULL
            """)
    }

    /// Adds tasks to a group in one statement, their slots numbered on from the first: a slot
    /// below the group's count of added tasks is left out, so a producer that runs again after a
    /// restart adds nothing twice. The group's row lock orders concurrent producers. The tasks go
    /// to the priority lane `lane` (0 the most urgent). The tasks of a cancelled group finish at
    /// once as cancelled instead.
    /// - Returns: How many tasks entered the queue.
    @discardableResult
    package func addTasks(
        group: UUID, queue: String, lane: Int = QueueLane.normal.index, _ tasks: [NewTask], policy: TaskPolicy
    ) async throws -> Int {
        guard let first = tasks.first?.slot else { return 0 }
        precondition(tasks.enumerated().allSatisfy { $0.element.slot == first + $0.offset }, "slots in a row")
        let statement = AddTasks(
            group: group, queue: queue, lane: Int16(clamping: lane), timeout: policy.timeout.timeInterval,
            maxAttempts: policy.maxAttempts, backoffInitial: policy.backoffInitial.timeInterval,
            backoffMaximum: policy.backoffMaximum.timeInterval, slots: tasks.map { Int32($0.slot) },
            kinds: tasks.map(\.kind), payloads: tasks.map { ByteBuffer(bytes: $0.payload) },
            added: Int32(first + tasks.count))
        return Int(try await written(statement).first ?? 0)
    }

    /// Records how many tasks a group has, once its producer added them all.
    package func seal(group: UUID, expected: Int) async throws {
        try await written("UPDATE parallax.task_group SET expected = \(Int32(expected)) WHERE id = \(group)")
    }

    /// A group as stored: its queue and how many tasks it has (its producer's count once sealed,
    /// the count added so far before).
    package func group(_ id: UUID) async throws -> (queue: String, count: Int)? {
        let rows = try await client.query(
            "SELECT queue, coalesce(expected, added) FROM parallax.task_group WHERE id = \(id)",
            logger: logger)
        for try await (queue, count) in rows.decode((String, Int32).self) { return (queue, Int(count)) }
        return nil
    }

    /// The id of the group created with `idempotencyKey`, if there is one.
    package func group(idempotencyKey: String) async throws -> UUID? {
        let rows = try await client.query(
            "SELECT id FROM parallax.task_group WHERE idem_key = \(idempotencyKey)", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// Creates a group of tasks (slots numbered from 0) and seals it; or, when a group with
    /// `idempotencyKey` exists, attaches to it and adds only the tasks it does not have yet.
    /// - Returns: The group's id, and whether it existed before.
    package func submit(
        queue: String, idempotencyKey: String?, owner: Int64, tasks: [(kind: String, payload: [UInt8])],
        timeout: Duration, maxAttempts: Int16
    ) async throws -> (group: UUID, attached: Bool) {
        let (group, attached) = try await createGroup(
            queue: queue, idempotencyKey: idempotencyKey, owner: owner)
        let new = tasks.enumerated().map {
            NewTask(slot: $0.offset, kind: $0.element.kind, payload: $0.element.payload)
        }
        try await addTasks(
            group: group, queue: queue, new, policy: TaskPolicy(timeout: timeout, maxAttempts: maxAttempts))
        try await seal(group: group, expected: tasks.count)
        return (group, attached)
    }

    // MARK: Claiming and completing

    /// A task claimed for one attempt.
    package struct Claimed: Sendable, Equatable {
        package var task: Int64
        package var group: UUID
        package var slot: Int
        package var kind: String
        package var payload: [UInt8]
        package var attempt: Int
        /// The fencing token: only a completion that carries it lands.
        package var attemptID: Int64
        /// How long the attempt may run.
        package var timeout: Duration
        /// The task's priority lane.
        package var lane: Int = QueueLane.normal.index
    }

    /// Claims up to `limit` ready tasks of `queue` for `node`, each with a new attempt token; none
    /// when the node's lease has expired.
    package func claim(node: Int64, queue: String, limit: Int) async throws -> [Claimed] {
        guard limit > 0 else { return [] }
        return Self.claimed(
            try await written(ClaimInOrder(queue: queue, node: node, limit: Int64(limit))))
    }

    /// Claims tasks of `queue` for `node` lane by lane: up to `shares[l]` ready tasks of lane `l`,
    /// oldest first within each, in one statement; none when the node's lease has expired.
    package func claim(node: Int64, queue: String, shares: [Int]) async throws -> [Claimed] {
        guard shares.contains(where: { $0 > 0 }) else { return [] }
        let statement = ClaimByLanes(
            queue: queue, node: node, shares: shares.map { Int32(clamping: max(0, $0)) })
        return Self.claimed(try await written(statement))
    }

    private static func claimed(_ rows: [ClaimStatement.Row]) -> [Claimed] {
        var claimed: [Claimed] = []
        claimed.reserveCapacity(rows.count)
        for (task, group, slot, kind, payload, attempt, attemptID, timeout, lane) in rows {
            let bytes: [UInt8] = Array(payload.readableBytesView)
            claimed.append(
                Claimed(
                    task: task, group: group, slot: Int(slot), kind: kind, payload: bytes,
                    attempt: Int(attempt), attemptID: attemptID, timeout: .seconds(timeout), lane: Int(lane)))
        }
        return claimed.sorted { $0.task < $1.task }
    }

    /// The outcome of one attempt, to record.
    package struct Completion: Sendable {
        package var task: Int64
        /// The token the attempt was claimed with.
        package var attemptID: Int64
        package var outcome: ResultOutcome
        package var payload: [UInt8]

        package init(task: Int64, attemptID: Int64, outcome: ResultOutcome, payload: [UInt8]) {
            self.task = task
            self.attemptID = attemptID
            self.outcome = outcome
            self.payload = payload
        }
    }

    /// Records the outcomes of attempts in one statement, each only if it is still its task's
    /// current attempt: the hot row is deleted and the result inserted together, fenced by the
    /// token. A stale completion (the task was reaped and maybe claimed again) writes nothing but
    /// its line in the attempt log.
    ///
    /// When a successful result's task kind has an effect in `committers`, the statement and the
    /// effects of the results that landed run in one transaction, each effect under a savepoint: an
    /// effect that throws is rolled back alone and its task's result becomes the error.
    /// - Returns: The tasks whose results landed, and those whose completions were stale.
    package func complete(
        node: Int64, _ completions: [Completion], committing committers: [String: EffectCommitter] = [:]
    ) async throws -> (landed: [Int64], stale: [Int64]) {
        let tasks = completions.map(\.task)
        let statement = completeStatement(node: node, completions)
        var landed: Set<Int64> = []
        if committers.isEmpty || !completions.contains(where: { $0.outcome == .value }) {
            for row in try await written(statement) { landed.insert(try row.decode(Landed.self).0) }
        } else {
            let payloads = Dictionary(
                completions.map { ($0.task, $0.payload) }, uniquingKeysWith: { first, _ in first })
            landed = try await client.withTransaction(logger: logger) { connection in
                var landed: Set<Int64> = []
                var effects: [(EffectCommitter, QueueCommit)] = []
                let rows = try await connection.query(statement, logger: logger)
                for try await (task, group, slot, kind, attempt) in rows.decode(Landed.self) {
                    landed.insert(task)
                    if let committer = committers[kind] {
                        effects.append(
                            (
                                committer,
                                QueueCommit(
                                    taskID: task, group: group, slot: Int(slot), attempt: Int(attempt))
                            ))
                    }
                }
                for (committer, task) in effects {
                    guard let payload = payloads[task.taskID] else { continue }
                    try await commitEffect(committer, payload: payload, of: task, on: connection)
                }
                return landed
            }
        }
        return (tasks.filter(landed.contains), tasks.filter { !landed.contains($0) })
    }

    /// A result that landed: task, group, slot, kind, attempt; the outcome is a value only when it
    /// is one.
    private typealias Landed = (Int64, UUID, Int32, String, Int32)

    private func completeStatement(node: Int64, _ completions: [Completion]) -> PostgresQuery {
        let tasks = completions.map(\.task)
        let attempts = completions.map(\.attemptID)
        let outcomes = completions.map(\.outcome.rawValue)
        let payloads = completions.map { ByteBuffer(bytes: $0.payload) }
        return """
            WITH input AS (
                SELECT * FROM unnest(\(tasks)::int8[], \(attempts)::int8[], \(outcomes)::int2[], \(payloads)::bytea[])
                    AS i(task_id, attempt_id, outcome, payload)
            ), finished AS (
                DELETE FROM parallax.task t USING input i
                 WHERE t.id = i.task_id AND t.attempt_id = i.attempt_id AND t.state = 1
                RETURNING \(unescaped: Self.finishedColumns), i.outcome, i.payload
            ), landed AS (
                \(unescaped: Self.recordResults(outcome: "outcome", payload: "payload"))
                RETURNING task_id, group_id, slot, coalesce(kind, '') AS kind, attempts, outcome
            ), logged AS (
                INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                SELECT i.task_id, i.attempt_id, \(node), f.claimed_at,
                       CASE WHEN f.id IS NULL THEN \(AttemptEnd.staleRejected.rawValue)
                            ELSE \(AttemptEnd.completed.rawValue) END
                  FROM input i LEFT JOIN finished f ON f.id = i.task_id
            )
            SELECT task_id, group_id, slot, CASE WHEN outcome = \(ResultOutcome.value.rawValue) THEN kind ELSE '' END,
                   attempts::int4
              FROM landed
            """
    }

    /// Commits one task's effect under a savepoint; when it throws, rolls it back alone and
    /// records the error as the task's result instead of its value.
    private func commitEffect(
        _ committer: EffectCommitter, payload: [UInt8], of task: QueueCommit,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query("SAVEPOINT parallax_effect", logger: logger)
        do {
            try await committer.commit(payload, task, connection, logger)
            try await connection.query("RELEASE SAVEPOINT parallax_effect", logger: logger)
        } catch {
            try await connection.query("ROLLBACK TO SAVEPOINT parallax_effect", logger: logger)
            let failure = TaskError(
                describing: error, context: "while committing the effect of task \(task.taskID)")
            let encoded = ByteBuffer(bytes: (try? WireCodec.encode(failure)) ?? [])
            try await connection.query(
                """
                UPDATE parallax.result SET outcome = \(ResultOutcome.thrown.rawValue), payload = \(encoded)
                 WHERE task_id = \(task.taskID)
                """, logger: logger)
            logger.warning(
                "the effect of a task threw; it was rolled back and the task's result is the error",
                metadata: ["parallax.task.id": "\(task.taskID)", "parallax.error": "\(error)"])
        }
    }

    /// Records the outcome of one attempt, as ``complete(node:_:)`` does.
    /// - Returns: Whether the result landed.
    package func complete(
        node: Int64, task: Int64, attemptID: Int64, outcome: ResultOutcome, payload: [UInt8]
    ) async throws -> Bool {
        let completion = Completion(task: task, attemptID: attemptID, outcome: outcome, payload: payload)
        return try await complete(node: node, [completion]).landed == [task]
    }

    /// What became of a failed attempt handed to ``retry(node:task:attemptID:after:failure:)``.
    package enum Retry: Sendable, Equatable {
        /// Back in the queue, ready again after the backoff.
        case requeued
        /// Its attempts ran out: finished as exhausted, with the last failure as its payload.
        case exhausted
        /// The attempt was no longer the task's current one: nothing changed.
        case stale
    }

    /// Puts a task whose attempt failed in a way worth another try (its worker crashed) back in
    /// the queue, ready again `after` the backoff on the database's clock, through the attempt's
    /// fence; once its attempts are used up, finishes it as exhausted with `failure`. The attempt's
    /// end is logged either way.
    package func retry(
        node: Int64, task: Int64, attemptID: Int64, after backoff: Duration? = nil, failure: [UInt8]
    )
        async throws -> Retry
    {
        // Without a backoff given: the task's own, doubling with every attempt, give or take a fifth.
        let delay: String
        if let backoff {
            delay = "make_interval(secs => \(backoff.timeInterval))"
        } else {
            delay = """
                least(c.backoff_max, c.backoff_initial * power(2, c.attempt - 1)) * (0.8 + random() * 0.4)
                """
        }
        let rows = try await written(
            """
            WITH input AS (
                SELECT \(ByteBuffer(bytes: failure))::bytea AS payload
            ), current AS (
                SELECT id, attempt, max_attempts, claimed_at, backoff_initial, backoff_max FROM parallax.task
                 WHERE id = \(task) AND attempt_id = \(attemptID) AND state = 1
                   FOR UPDATE
            ), logged AS (
                INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                SELECT \(task), \(attemptID), \(node), (SELECT claimed_at FROM current),
                       CASE WHEN EXISTS (SELECT 1 FROM current) THEN \(AttemptEnd.failed.rawValue)
                            ELSE \(AttemptEnd.staleRejected.rawValue) END
            ), requeued AS (
                UPDATE parallax.task t
                   SET state = 0, run_at = parallax.now() + \(unescaped: delay), attempt_id = NULL,
                       node_id = NULL, claimed_at = NULL, deadline_at = NULL
                  FROM current c
                 WHERE t.id = c.id AND c.attempt < c.max_attempts
                RETURNING t.id
            ), finished AS (
                DELETE FROM parallax.task t USING current c
                 WHERE t.id = c.id AND c.attempt >= c.max_attempts
                RETURNING \(unescaped: Self.finishedColumns)
            ), landed AS (
                \(unescaped: Self.recordResults(.exhausted, payload: "(SELECT payload FROM input)"))
                RETURNING task_id
            )
            SELECT (SELECT count(*) FROM requeued)::int8, (SELECT count(*) FROM landed)::int8
            """)
        for row in rows {
            let (requeued, exhausted) = try row.decode((Int64, Int64).self)
            return requeued == 1 ? .requeued : exhausted == 1 ? .exhausted : .stale
        }
        return .stale
    }

    /// Puts tasks whose attempts never ran (the node's pool refused them, or the node stopped
    /// before starting them) back in the queue at once, each through its attempt's fence, without
    /// using up an attempt.
    /// - Returns: The tasks released; the others had moved on.
    @discardableResult
    package func release(node: Int64, _ attempts: [(task: Int64, attemptID: Int64)]) async throws -> [Int64] {
        guard !attempts.isEmpty else { return [] }
        let tasks = attempts.map(\.task)
        let tokens = attempts.map(\.attemptID)
        let rows = try await written(
            """
            WITH input AS (
                SELECT * FROM unnest(\(tasks)::int8[], \(tokens)::int8[]) AS i(task_id, attempt_id)
            ), current AS (
                SELECT t.id, t.attempt_id, t.claimed_at FROM parallax.task t JOIN input i
                    ON t.id = i.task_id AND t.attempt_id = i.attempt_id AND t.state = 1
                   FOR UPDATE OF t
            ), logged AS (
                INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                SELECT id, attempt_id, \(node), claimed_at, \(AttemptEnd.released.rawValue) FROM current
            ), released AS (
                UPDATE parallax.task t
                   SET state = 0, run_at = parallax.now(), attempt = t.attempt - 1, attempt_id = NULL,
                       node_id = NULL, claimed_at = NULL, deadline_at = NULL
                  FROM current c
                 WHERE t.id = c.id
                RETURNING t.id)
            SELECT id FROM released ORDER BY id
            """)
        let released = try rows.map { try $0.decode(Int64.self) }
        return released
    }

    /// The attempts the database assigns to `node`: its claimed tasks, with their tokens; only
    /// those claimed longer than `age` ago on the database's clock, when given.
    package func held(node: Int64, claimedBefore age: Duration? = nil) async throws -> [(
        task: Int64, attemptID: Int64
    )] {
        let rows = try await client.query(
            """
            SELECT id, attempt_id FROM parallax.task
             WHERE node_id = \(node) AND state = 1
               AND claimed_at <= parallax.now() - make_interval(secs => \(age?.timeInterval ?? 0))
             ORDER BY id
            """,
            logger: logger)
        var held: [(task: Int64, attemptID: Int64)] = []
        for try await (task, attemptID) in rows.decode((Int64, Int64).self) { held.append((task, attemptID)) }
        return held
    }

    // MARK: Cancelling

    /// What cancelling a group did.
    package struct Cancelled: Sendable, Equatable {
        /// Tasks that had not started: finished as cancelled at once.
        package var notStarted: [Int64]
        /// Tasks that run: flagged, so that their nodes kill them (their renewals list them).
        package var running: [Int64]
    }

    /// Cancels a group: its tasks that have not started never will; its running ones are flagged
    /// for their nodes, which learn it from their next lease renewal whether or not a
    /// notification reached them. Row locks order it against a concurrent claim: the ready tasks
    /// are deleted only if still ready, and the running ones are read by a later statement.
    package func cancel(group: UUID) async throws -> Cancelled {
        try await client.withTransaction(logger: logger) { [logger] connection in
            try await connection.query(
                """
                UPDATE parallax.task_group SET cancel_requested_at = parallax.now()
                 WHERE id = \(group) AND cancel_requested_at IS NULL
                """, logger: logger)
            return try await Self.cancelTasks(of: [group], payload: nil, on: connection, logger: logger)
        }
    }

    /// Cancels the tasks of `groups`, in a transaction that marked the groups cancelled: those
    /// that have not started finish as cancelled (with `payload`, a ``/ParallaxWire/TaskError``,
    /// when given), those that run are flagged for their nodes.
    private static func cancelTasks(
        of groups: [UUID], payload: [UInt8]?, on connection: PostgresConnection, logger: Logger
    ) async throws -> Cancelled {
        var cancelled = Cancelled(notStarted: [], running: [])
        let bytes = payload.map { ByteBuffer(bytes: $0) }
        let ready = try await connection.query(
            """
            WITH reason AS (
                SELECT \(bytes)::bytea AS payload
            ), finished AS (
                DELETE FROM parallax.task t WHERE t.group_id = ANY(\(groups)) AND t.state = 0
                RETURNING \(unescaped: finishedColumns))
            \(unescaped: recordResults(.cancelled, payload: "(SELECT payload FROM reason)"))
            RETURNING task_id
            """, logger: logger)
        for try await task in ready.decode(Int64.self) { cancelled.notStarted.append(task) }
        // The holders learn it from their next renewal; a notification only makes it sooner.
        let running = try await connection.query(
            """
            WITH flagged AS (
                UPDATE parallax.task SET cancel_requested_at = parallax.now()
                 WHERE group_id = ANY(\(groups)) AND state = 1 AND cancel_requested_at IS NULL
                RETURNING id, node_id
            ), hinted AS (
                SELECT pg_notify('parallax_cancel', string_agg(DISTINCT node_id::text, ','))
                  FROM flagged HAVING count(*) > 0
            )
            SELECT id FROM flagged, (SELECT count(*) FROM hinted) AS h
            """, logger: logger)
        for try await task in running.decode(Int64.self) { cancelled.running.append(task) }
        cancelled.notStarted.sort()
        cancelled.running.sort()
        return cancelled
    }

    // MARK: Recovery

    /// What one pass of the reaper did.
    package struct Reaped: Sendable, Equatable {
        /// Nodes whose lease expired more than the grace ago, now dead.
        package var deadNodes: [Int64]
        /// Their running tasks put back in the queue, with a new attempt to come.
        package var requeued: [Int64]
        /// Their running tasks that lost too many hosts: finished as lost.
        package var lost: [Int64]
        /// Running tasks of live nodes past their deadline (their node's own timeout should have
        /// ended them): finished as timed out, never requeued at once. The node's next renewal no
        /// longer lists them as held, so it kills what still runs.
        package var overdue: [Int64] = []
        /// Groups cancelled because the node that owned them was lost (and they were not
        /// detached): their tasks that had not started finished as cancelled, their running ones
        /// were flagged for their nodes. (Finished groups of a lost owner are only marked.)
        package var ownerLost: [UUID] = []
    }

    /// Declares dead the nodes whose lease expired more than `grace` ago, and requeues their
    /// running tasks (or finishes them as lost past `max_lost`); finishes as timed out the running
    /// tasks of live nodes past their deadline; cancels the groups whose owner is lost (dead, its
    /// lease expired or it stopped, while another node kept its lease), unless they keep running
    /// on owner loss. Every reaped attempt is logged.
    package func reap(grace: Duration) async throws -> Reaped {
        let seconds = grace.timeInterval
        return try await client.withTransaction(logger: logger) { connection in
            var reaped = Reaped(deadNodes: [], requeued: [], lost: [])
            let dead = try await connection.query(
                """
                UPDATE parallax.node SET state = 2
                 WHERE state <> 2 AND lease_expires_at < parallax.now() - make_interval(secs => \(seconds))
                RETURNING id
                """, logger: logger)
            for try await id in dead.decode(Int64.self) { reaped.deadNodes.append(id) }
            let orphans = try await connection.query(
                """
                WITH orphan AS (
                    SELECT t.id, t.attempt_id, t.node_id, t.claimed_at, t.lost_count, t.max_lost
                      FROM parallax.task t
                     WHERE t.state = 1 AND t.node_id IN (SELECT id FROM parallax.node WHERE state = 2)
                     ORDER BY t.id LIMIT 1000
                       FOR UPDATE SKIP LOCKED
                ), logged AS (
                    INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                    SELECT id, attempt_id, node_id, claimed_at, \(AttemptEnd.reapedHostLost.rawValue) FROM orphan
                ), requeued AS (
                    UPDATE parallax.task t
                       SET state = 0, run_at = parallax.now(), attempt_id = NULL, node_id = NULL,
                           claimed_at = NULL, deadline_at = NULL, lost_count = t.lost_count + 1
                      FROM orphan o
                     WHERE t.id = o.id AND o.lost_count + 1 < o.max_lost
                    RETURNING t.id
                ), finished AS (
                    DELETE FROM parallax.task t USING orphan o
                     WHERE t.id = o.id AND o.lost_count + 1 >= o.max_lost
                    RETURNING \(unescaped: Self.finishedColumns)
                ), landed AS (
                    \(unescaped: Self.recordResults(.lost, payload: "NULL"))
                    RETURNING task_id
                )
                SELECT id, true FROM requeued UNION ALL SELECT task_id, false FROM landed
                """, logger: logger)
            for try await (task, requeued) in orphans.decode((Int64, Bool).self) {
                if requeued { reaped.requeued.append(task) } else { reaped.lost.append(task) }
            }
            let overdue = try await connection.query(
                """
                WITH overdue AS (
                    SELECT t.id FROM parallax.task t
                     WHERE t.state = 1 AND t.deadline_at < parallax.now()
                       AND t.node_id IN (SELECT id FROM parallax.node WHERE state <> 2)
                     ORDER BY t.id LIMIT 1000
                       FOR UPDATE SKIP LOCKED
                ), finished AS (
                    DELETE FROM parallax.task t USING overdue o
                     WHERE t.id = o.id
                    RETURNING \(unescaped: Self.finishedColumns)
                ), logged AS (
                    INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                    SELECT id, attempt_id, node_id, claimed_at, \(AttemptEnd.reapedOverdue.rawValue) FROM finished
                )
                \(unescaped: Self.recordResults(.timedOut, payload: "NULL"))
                RETURNING task_id
                """, logger: logger)
            for try await task in overdue.decode(Int64.self) { reaped.overdue.append(task) }
            // An owner is lost when it is dead while another node held its lease throughout:
            // a node still live that registered before the owner's lease expired. When the
            // database was out of reach for longer than the leases, every lease lapsed at once
            // and no owner is judged lost by that; each registers again and keeps its groups.
            let orphaned = try await connection.query(
                """
                WITH lost AS (
                    SELECT o.id FROM parallax.node o
                     WHERE o.state = 2
                       AND EXISTS (SELECT 1 FROM parallax.node w
                                    WHERE w.state = 0 AND w.lease_expires_at > parallax.now()
                                      AND w.started_at < o.lease_expires_at)
                ), orphaned AS (
                    SELECT g.id, EXISTS (SELECT 1 FROM parallax.task t WHERE t.group_id = g.id) AS open
                      FROM parallax.task_group g
                     WHERE g.on_owner_loss = 0 AND g.owner_lost_at IS NULL
                       AND g.owner_node IN (SELECT id FROM lost)
                     ORDER BY g.id LIMIT 1000
                       FOR UPDATE SKIP LOCKED)
                UPDATE parallax.task_group g
                   SET owner_lost_at = parallax.now(),
                       cancel_requested_at = CASE WHEN o.open THEN coalesce(g.cancel_requested_at, parallax.now())
                                                  ELSE g.cancel_requested_at END
                  FROM orphaned o WHERE g.id = o.id
                RETURNING g.id, o.open
                """, logger: logger)
            for try await (group, open) in orphaned.decode((UUID, Bool).self) where open {
                reaped.ownerLost.append(group)
            }
            if !reaped.ownerLost.isEmpty {
                _ = try await Self.cancelTasks(
                    of: reaped.ownerLost, payload: Self.ownerLost, on: connection, logger: logger)
            }
            reaped.ownerLost.sort()
            reaped.requeued.sort()
            reaped.lost.sort()
            reaped.overdue.sort()
            return reaped
        }
    }

    /// The failure of a task that never started because its group's owner was lost.
    private static let ownerLost = try? WireCodec.encode(TaskError.ownerLost())

    // MARK: Results

    /// What a statement that takes tasks out of the hot table (`t`) returns as the CTE
    /// `finished`, for ``recordResults(_:payload:)``.
    static let finishedColumns =
        "t.id, t.group_id, t.slot, t.kind, t.attempt, t.attempt_id, t.node_id, t.created_at, t.claimed_at"

    /// Inserts the result of every task of the CTE `finished`: the one way a task leaves the queue
    /// with an outcome. `outcome` and `payload` are SQL expressions over `finished`.
    static func recordResults(outcome: String, payload: String) -> String {
        """
        INSERT INTO parallax.result
            (task_id, group_id, slot, kind, outcome, payload, attempts, attempt_id, node_id, enqueued_at, started_at)
        SELECT id, group_id, slot, kind, \(outcome), \(payload), attempt, attempt_id, node_id, created_at, claimed_at
          FROM finished
        """
    }

    /// ``recordResults(outcome:payload:)`` with the same outcome for every task.
    static func recordResults(_ outcome: ResultOutcome, payload: String) -> String {
        recordResults(outcome: "\(outcome.rawValue)", payload: payload)
    }

    /// A task's recorded outcome.
    package struct Result: Sendable, Equatable {
        package var task: Int64
        package var slot: Int
        package var kind: String
        package var outcome: ResultOutcome
        package var payload: [UInt8]?
        package var attempts: Int
    }

    /// The results of a group recorded so far, by slot; only those of `slots` when given.
    package func results(group: UUID, slots: [Int]? = nil) async throws -> [Result] {
        let wanted = slots.map { $0.map(Int32.init) }
        let rows = try await client.query(
            """
            SELECT task_id, slot, coalesce(kind, ''), outcome, payload, attempts::int8 FROM parallax.result
             WHERE group_id = \(group) AND (\(wanted)::int4[] IS NULL OR slot = ANY(\(wanted)::int4[]))
             ORDER BY slot
            """, logger: logger)
        var results: [Result] = []
        for try await (task, slot, kind, outcome, payload, attempts) in rows.decode(
            (Int64, Int32, String, Int16, ByteBuffer?, Int64).self)
        {
            results.append(
                Result(
                    task: task, slot: Int(slot), kind: kind,
                    outcome: ResultOutcome(rawValue: outcome) ?? .crashed,
                    payload: payload.map { Array($0.readableBytesView) }, attempts: Int(attempts)))
        }
        return results
    }

    /// One line of the attempt log.
    package struct AttemptRecord: Sendable, Equatable {
        package var attemptID: Int64
        package var node: Int64
        package var end: AttemptEnd?
        /// How long the attempt ran, when it started.
        package var seconds: Double?
    }

    /// The attempt log of a task, oldest first.
    package func attempts(task: Int64) async throws -> [AttemptRecord] {
        let rows = try await client.query(
            """
            SELECT attempt_id, node_id, ended_by, extract(epoch FROM ended_at - started_at)::float8
              FROM parallax.attempt WHERE task_id = \(task) ORDER BY ended_at, attempt_id
            """, logger: logger)
        var records: [AttemptRecord] = []
        for try await (attemptID, node, end, seconds) in rows.decode((Int64, Int64, Int16, Double?).self) {
            records.append(
                AttemptRecord(
                    attemptID: attemptID, node: node, end: AttemptEnd(rawValue: end), seconds: seconds))
        }
        return records
    }

    /// Marks a node that stopped and holds no task as dead at once, so that nobody waits for its
    /// lease; a node that still holds tasks is left for the reaper.
    /// - Returns: Whether the node was marked.
    @discardableResult
    package func stopNode(_ node: Int64) async throws -> Bool {
        let rows = try await written(
            """
            UPDATE parallax.node SET state = 2
             WHERE id = \(node) AND state <> 2
               AND NOT EXISTS (SELECT 1 FROM parallax.task WHERE node_id = \(node) AND state = 1)
            RETURNING id
            """)
        return !rows.isEmpty
    }
}

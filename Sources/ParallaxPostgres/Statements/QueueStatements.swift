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

    // MARK: Nodes and leases

    /// Registers a node (one process, a new id at every start) with a lease of `ttl`.
    package func registerNode(host: String, pid: Int32, ttl: Duration, queues: [String]) async throws -> Int64
    {
        let seconds = ttl.timeInterval
        let rows = try await client.query(
            """
            INSERT INTO parallax.node (host, pid, lease_ttl, lease_expires_at, queues)
            VALUES (\(host), \(Int32(pid)), make_interval(secs => \(seconds)),
                    parallax.now() + make_interval(secs => \(seconds)), \(queues))
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
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
        let rows = try await client.query(
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
            """, logger: logger)
        for try await (count, held, cancelled) in rows.decode((Int64, [Int64], [Int64]).self) {
            return Renewal(renewed: count == 1, held: held, cancelled: cancelled)
        }
        throw QueueError("the lease renewal returned no row")
    }

    // MARK: Submitting

    /// Creates a group of tasks on `queue`, or, when a group with `idempotencyKey` exists, attaches
    /// to it and adds nothing.
    /// - Returns: The group's id, and whether it existed before.
    package func submit(
        queue: String, idempotencyKey: String?, owner: Int64, tasks: [(kind: String, payload: [UInt8])],
        timeout: Duration, maxAttempts: Int16
    ) async throws -> (group: UUID, attached: Bool) {
        let seconds = timeout.timeInterval
        return try await client.withTransaction(logger: logger) { connection in
            let created = try await connection.query(
                """
                INSERT INTO parallax.task_group (idem_key, queue, owner_node, expected)
                VALUES (\(idempotencyKey), \(queue), \(owner), \(Int32(tasks.count)))
                ON CONFLICT (idem_key) DO NOTHING
                RETURNING id
                """, logger: logger)
            var group: UUID?
            for try await id in created.decode(UUID.self) { group = id }
            guard let group else {
                let existing = try await connection.query(
                    "SELECT id FROM parallax.task_group WHERE idem_key = \(idempotencyKey)", logger: logger)
                for try await id in existing.decode(UUID.self) { return (id, true) }
                throw QueueError("the group with key \(idempotencyKey ?? "") vanished")
            }
            let kinds = tasks.map(\.kind)
            let payloads = tasks.map { ByteBuffer(bytes: $0.payload) }
            try await connection.query(
                """
                INSERT INTO parallax.task (group_id, slot, queue, kind, payload, timeout, max_attempts)
                SELECT \(group), s.slot - 1, \(queue), s.kind, s.payload, make_interval(secs => \(seconds)),
                       \(maxAttempts)
                  FROM unnest(\(kinds)::text[], \(payloads)::bytea[]) WITH ORDINALITY AS s(kind, payload, slot)
                """, logger: logger)
            return (group, false)
        }
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
    }

    /// Claims up to `limit` ready tasks of `queue` for `node`, each with a new attempt token; none
    /// when the node's lease has expired.
    package func claim(node: Int64, queue: String, limit: Int) async throws -> [Claimed] {
        let rows = try await client.query(
            """
            WITH me AS (
                SELECT id, lease_ttl FROM parallax.node
                 WHERE id = \(node) AND state = 0 AND lease_expires_at > parallax.now()
            ), picked AS (
                SELECT t.id FROM parallax.task t
                 WHERE t.queue = \(queue) AND t.state = 0 AND t.run_at <= parallax.now()
                   AND EXISTS (SELECT 1 FROM me)
                 ORDER BY t.lane, t.run_at, t.id
                 LIMIT \(Int64(limit))
                 FOR UPDATE SKIP LOCKED
            )
            UPDATE parallax.task t
               SET state = 1, attempt = t.attempt + 1, attempt_id = nextval('parallax.attempt_seq'),
                   node_id = \(node), claimed_at = parallax.now(),
                   deadline_at = parallax.now() + t.timeout + (SELECT lease_ttl FROM me)
              FROM picked
             WHERE t.id = picked.id
            RETURNING t.id, t.group_id, t.slot, t.kind, t.payload, t.attempt::int8, t.attempt_id
            """, logger: logger)
        var claimed: [Claimed] = []
        for try await (task, group, slot, kind, payload, attempt, attemptID) in rows.decode(
            (Int64, UUID, Int32, String, ByteBuffer, Int64, Int64).self)
        {
            claimed.append(
                Claimed(
                    task: task, group: group, slot: Int(slot), kind: kind,
                    payload: Array(payload.readableBytesView),
                    attempt: Int(attempt), attemptID: attemptID))
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
    /// - Returns: The tasks whose results landed, and those whose completions were stale.
    package func complete(node: Int64, _ completions: [Completion]) async throws -> (
        landed: [Int64], stale: [Int64]
    ) {
        let tasks = completions.map(\.task)
        let attempts = completions.map(\.attemptID)
        let outcomes = completions.map(\.outcome.rawValue)
        let payloads = completions.map { ByteBuffer(bytes: $0.payload) }
        let rows = try await client.query(
            """
            WITH input AS (
                SELECT * FROM unnest(\(tasks)::int8[], \(attempts)::int8[], \(outcomes)::int2[], \(payloads)::bytea[])
                    AS i(task_id, attempt_id, outcome, payload)
            ), finished AS (
                DELETE FROM parallax.task t USING input i
                 WHERE t.id = i.task_id AND t.attempt_id = i.attempt_id AND t.state = 1
                RETURNING \(unescaped: Self.finishedColumns), i.outcome, i.payload
            ), landed AS (
                \(unescaped: Self.recordResults(outcome: "outcome", payload: "payload"))
                RETURNING task_id
            ), logged AS (
                INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                SELECT i.task_id, i.attempt_id, \(node), f.claimed_at,
                       CASE WHEN f.id IS NULL THEN \(AttemptEnd.staleRejected.rawValue)
                            ELSE \(AttemptEnd.completed.rawValue) END
                  FROM input i LEFT JOIN finished f ON f.id = i.task_id
            )
            SELECT task_id FROM landed
            """, logger: logger)
        var landed: Set<Int64> = []
        for try await task in rows.decode(Int64.self) { landed.insert(task) }
        return (tasks.filter(landed.contains), tasks.filter { !landed.contains($0) })
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
    package func retry(node: Int64, task: Int64, attemptID: Int64, after backoff: Duration, failure: [UInt8])
        async throws -> Retry
    {
        let seconds = backoff.timeInterval
        let rows = try await client.query(
            """
            WITH input AS (
                SELECT \(ByteBuffer(bytes: failure))::bytea AS payload
            ), current AS (
                SELECT id, attempt, max_attempts, claimed_at FROM parallax.task
                 WHERE id = \(task) AND attempt_id = \(attemptID) AND state = 1
                   FOR UPDATE
            ), logged AS (
                INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
                SELECT \(task), \(attemptID), \(node), (SELECT claimed_at FROM current),
                       CASE WHEN EXISTS (SELECT 1 FROM current) THEN \(AttemptEnd.failed.rawValue)
                            ELSE \(AttemptEnd.staleRejected.rawValue) END
            ), requeued AS (
                UPDATE parallax.task t
                   SET state = 0, run_at = parallax.now() + make_interval(secs => \(seconds)), attempt_id = NULL,
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
            """, logger: logger)
        for try await (requeued, exhausted) in rows.decode((Int64, Int64).self) {
            return requeued == 1 ? .requeued : exhausted == 1 ? .exhausted : .stale
        }
        return .stale
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
        try await client.withTransaction(logger: logger) { connection in
            var cancelled = Cancelled(notStarted: [], running: [])
            try await connection.query(
                """
                UPDATE parallax.task_group SET cancel_requested_at = parallax.now()
                 WHERE id = \(group) AND cancel_requested_at IS NULL
                """, logger: logger)
            let ready = try await connection.query(
                """
                WITH finished AS (
                    DELETE FROM parallax.task t WHERE t.group_id = \(group) AND t.state = 0
                    RETURNING \(unescaped: Self.finishedColumns))
                \(unescaped: Self.recordResults(.cancelled, payload: "NULL"))
                RETURNING task_id
                """, logger: logger)
            for try await task in ready.decode(Int64.self) { cancelled.notStarted.append(task) }
            let running = try await connection.query(
                """
                UPDATE parallax.task SET cancel_requested_at = parallax.now()
                 WHERE group_id = \(group) AND state = 1 AND cancel_requested_at IS NULL
                RETURNING id
                """, logger: logger)
            for try await task in running.decode(Int64.self) { cancelled.running.append(task) }
            cancelled.notStarted.sort()
            cancelled.running.sort()
            return cancelled
        }
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
    }

    /// Declares dead the nodes whose lease expired more than `grace` ago, and requeues their
    /// running tasks (or finishes them as lost past `max_lost`); finishes as timed out the running
    /// tasks of live nodes past their deadline. Every reaped attempt is logged.
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
            reaped.requeued.sort()
            reaped.lost.sort()
            reaped.overdue.sort()
            return reaped
        }
    }

    // MARK: Results

    /// What a statement that takes tasks out of the hot table (`t`) returns as the CTE
    /// `finished`, for ``recordResults(_:payload:)``.
    static let finishedColumns =
        "t.id, t.group_id, t.slot, t.attempt, t.attempt_id, t.node_id, t.created_at, t.claimed_at"

    /// Inserts the result of every task of the CTE `finished`: the one way a task leaves the queue
    /// with an outcome. `outcome` and `payload` are SQL expressions over `finished`.
    static func recordResults(outcome: String, payload: String) -> String {
        """
        INSERT INTO parallax.result
            (task_id, group_id, slot, outcome, payload, attempts, attempt_id, node_id, enqueued_at, started_at)
        SELECT id, group_id, slot, \(outcome), \(payload), attempt, attempt_id, node_id, created_at, claimed_at
          FROM finished
        """
    }

    /// ``recordResults(outcome:payload:)`` with the same outcome for every task.
    static func recordResults(_ outcome: ResultOutcome, payload: String) -> String {
        recordResults(outcome: "\(outcome.rawValue)", payload: payload)
    }

    /// A task's recorded outcome.
    package struct Result: Sendable, Equatable {
        package var slot: Int
        package var outcome: ResultOutcome
        package var payload: [UInt8]?
        package var attempts: Int
    }

    /// The results of a group recorded so far, by slot.
    package func results(group: UUID) async throws -> [Result] {
        let rows = try await client.query(
            """
            SELECT slot, outcome, payload, attempts::int8 FROM parallax.result
             WHERE group_id = \(group) ORDER BY slot
            """, logger: logger)
        var results: [Result] = []
        for try await (slot, outcome, payload, attempts) in rows.decode(
            (Int32, Int16, ByteBuffer?, Int64).self)
        {
            results.append(
                Result(
                    slot: Int(slot), outcome: ResultOutcome(rawValue: outcome) ?? .crashed,
                    payload: payload.map { Array($0.readableBytesView) }, attempts: Int(attempts)))
        }
        return results
    }
}

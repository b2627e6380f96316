import FoundationEssentials
import PostgresNIO

/// Adds tasks to a group (see ``QueueStatements/addTasks(group:queue:lane:_:policy:)``), prepared
/// once per connection rather than planned at every submit. The tasks of a group that was
/// cancelled (by its producer, or because its owner was lost) never enter the queue: they finish
/// at once as cancelled.
struct AddTasks: PostgresPreparedStatement {
    static let sql = """
        WITH g AS (
            SELECT added, cancel_requested_at IS NOT NULL AS cancelled
              FROM parallax.task_group WHERE id = $1 FOR UPDATE
        ), new AS (
            SELECT s.slot, s.kind, s.payload
              FROM unnest($8::int4[], $9::text[], $10::bytea[]) AS s(slot, kind, payload)
             WHERE s.slot >= (SELECT added FROM g)
        ), added AS (
            INSERT INTO parallax.task
                (group_id, slot, queue, lane, kind, payload, timeout, max_attempts, backoff_initial,
                 backoff_max)
            SELECT $1, n.slot, $2, $3, n.kind, n.payload,
                   make_interval(secs => $4), $5, make_interval(secs => $6), make_interval(secs => $7)
              FROM new n WHERE NOT (SELECT cancelled FROM g)
            RETURNING 1
        ), refused AS (
            INSERT INTO parallax.result (task_id, group_id, slot, kind, outcome, payload, attempts, enqueued_at)
            SELECT nextval(pg_get_serial_sequence('parallax.task', 'id')), $1, n.slot, n.kind,
                   \(ResultOutcome.cancelled.rawValue), NULL, 0, parallax.now()
              FROM new n WHERE (SELECT cancelled FROM g)
        ), counted AS (
            UPDATE parallax.task_group SET added = greatest(added, $11)
             WHERE id = $1 AND EXISTS (SELECT 1 FROM g)
        )
        SELECT count(*)::int8 FROM added
        """

    var group: UUID
    var queue: String
    var lane: Int16
    var timeout: Double
    var maxAttempts: Int16
    var backoffInitial: Double
    var backoffMaximum: Double
    var slots: [Int32]
    var kinds: [String]
    var payloads: [ByteBuffer]
    /// The group's count of added tasks once these are in.
    var added: Int32

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 11)
        bindings.append(group)
        bindings.append(queue)
        bindings.append(lane)
        bindings.append(timeout)
        bindings.append(maxAttempts)
        bindings.append(backoffInitial)
        bindings.append(backoffMaximum)
        bindings.append(slots)
        bindings.append(kinds)
        bindings.append(payloads)
        bindings.append(added)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int64 {
        try row.decode(Int64.self)
    }
}

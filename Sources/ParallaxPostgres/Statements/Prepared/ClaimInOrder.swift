import FoundationEssentials
import PostgresNIO

/// Claims up to `limit` ready tasks, the most urgent lane first, oldest first within a lane.
struct ClaimInOrder: PostgresPreparedStatement {
    static let sql = ClaimStatement.sql(
        picking: """
            picked AS (
                SELECT t.id FROM parallax.task t
                 WHERE t.queue = $1 AND t.state = 0 AND t.run_at <= parallax.now()
                   AND EXISTS (SELECT 1 FROM me)
                 ORDER BY t.lane, t.run_at, t.id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED)
            """)

    var queue: String
    var node: Int64
    var limit: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(queue)
        bindings.append(node)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ClaimStatement.Row {
        try row.decode(ClaimStatement.Row.self)
    }
}

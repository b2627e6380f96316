import FoundationEssentials
import PostgresNIO

/// Claims up to `shares[l]` ready tasks of lane `l`, oldest first within each lane.
struct ClaimByLanes: PostgresPreparedStatement {
    static let sql = ClaimStatement.sql(
        picking: """
            picked AS (
                SELECT c.id FROM unnest($3::int4[]) WITH ORDINALITY AS s(share, position)
                 CROSS JOIN LATERAL (
                    SELECT t.id FROM parallax.task t
                     WHERE t.queue = $1 AND t.lane = s.position - 1 AND t.state = 0
                       AND t.run_at <= parallax.now() AND EXISTS (SELECT 1 FROM me)
                     ORDER BY t.run_at, t.id
                     LIMIT s.share
                     FOR UPDATE SKIP LOCKED) c)
            """)

    var queue: String
    var node: Int64
    var shares: [Int32]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(queue)
        bindings.append(node)
        bindings.append(shares)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ClaimStatement.Row {
        try row.decode(ClaimStatement.Row.self)
    }
}

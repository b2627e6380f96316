import Logging
import PostgresNIO
import Testing

@testable import ParallaxPostgres

/// The queue's schema on a real PostgreSQL server.
@Suite(.postgresInstalled, .privatePostgres, .timeLimit(.minutes(2)))
struct QueueSchemaTests {
    static let logger = Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }

    static func server() throws -> PrivatePostgres {
        try #require(PrivatePostgres.current)
    }

    @Test func migratingCreatesTheSchemaOnceAndRecordsItsVersion() async throws {
        try await Self.server().withDatabase { client in
            #expect(try await QueueSchema.migrate(client, logger: Self.logger) == 0)
            #expect(try await QueueSchema.migrate(client, logger: Self.logger) == QueueSchema.currentVersion)
            let rows = try await client.query("SELECT version FROM parallax.schema_version ORDER BY version")
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            #expect(versions == Array(1...QueueSchema.currentVersion))
        }
    }

    @Test func hostsThatMigrateTogetherApplyEachVersionOnce() async throws {
        try await Self.server().withDatabase { client in
            let before = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await QueueSchema.migrate(client, logger: Self.logger) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // The advisory lock serializes them: one found nothing, the others the whole schema.
            #expect(before.sorted() == [0] + Array(repeating: QueueSchema.currentVersion, count: 3))
        }
    }

    @Test func theDatabaseClockMovesOnlyWhenATestMovesIt() async throws {
        try await Self.server().withDatabase { client in
            try await QueueSchema.migrate(client, logger: Self.logger)
            let drift = try await Self.seconds(
                client, "SELECT extract(epoch FROM parallax.now() - clock_timestamp())::float8")
            #expect(abs(drift) < 1, "without an offset, parallax.now() is the database's clock")
            try await client.query("INSERT INTO parallax.clock (offset_by) VALUES (interval '1 hour')")
            let moved = try await Self.seconds(
                client, "SELECT extract(epoch FROM parallax.now() - clock_timestamp())::float8")
            #expect(abs(moved - 3_600) < 1)

            // Stopped, it stays where it was stopped (plus the offset) while real time runs on.
            try await client.query(
                "UPDATE parallax.clock SET frozen_at = clock_timestamp() - interval '1 day'")
            let stopped = try await Self.seconds(
                client, "SELECT extract(epoch FROM parallax.now())::float8")
            try await client.query("SELECT pg_sleep(0.05)")
            let later = try await Self.seconds(client, "SELECT extract(epoch FROM parallax.now())::float8")
            #expect(stopped == later)
            let behind = try await Self.seconds(
                client, "SELECT extract(epoch FROM clock_timestamp() - parallax.now())::float8")
            #expect(abs(behind - (86_400 - 3_600)) < 1)
        }
    }

    static func seconds(_ client: PostgresClient, _ sql: String) async throws -> Double {
        var value = Double.nan
        for try await seconds in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Double.self) {
            value = seconds
        }
        return value
    }
}

public import Logging
public import PostgresNIO

/// The tables of the task queue, in a PostgreSQL schema of their own (`parallax`), created and
/// migrated by the library.
///
/// Every version is a list of statements applied in one transaction, under a transaction-scoped
/// advisory lock, so that hosts that start together migrate once and a crash leaves either the old
/// version or the new one. The versions applied are recorded in `parallax.schema_version`.
///
/// ```swift
/// try await QueueSchema.migrate(client, logger: logger)
/// ```
public enum QueueSchema {
    /// The PostgreSQL schema that holds the queue's tables.
    public static let name = "parallax"

    /// The newest version this library knows.
    public static var currentVersion: Int { QueueMigrations.all.count }

    /// Brings the schema to ``currentVersion``; a no-op when it is there already.
    ///
    /// - Parameters:
    ///   - client: A running client of the database.
    ///   - logger: Receives a line per version applied.
    /// - Returns: The version the schema had before.
    /// - Throws: The database's error; nothing of a failed version stays.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            // Held to the end of the transaction: a crash or a disconnect cannot leave it behind.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(QueueMigrations.lockKey))", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS parallax", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS parallax.schema_version (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
                """, logger: logger)
            let rows = try await connection.query(
                "SELECT coalesce(max(version), 0) FROM parallax.schema_version", logger: logger)
            var before = 0
            for try await version in rows.decode(Int.self) { before = version }
            for (index, statements) in QueueMigrations.all.enumerated() where index + 1 > before {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO parallax.schema_version (version) VALUES (\(index + 1))", logger: logger)
                logger.info(
                    "parallax queue schema migrated", metadata: ["parallax.schema.version": "\(index + 1)"])
            }
            return before
        }
    }
}

import GRDB
import Parallax

/// The parent's SQLite database of scores. Only the parent opens it: workers reach it through the
/// ``Results`` service, so one process holds the connection and serializes the writes.
public final class ResultsDatabase: Sendable {
    private let database: DatabaseQueue

    /// Opens (and creates) the database at `path`.
    public init(path: String) throws {
        database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.create(table: "score", ifNotExists: true) { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("document", .integer).notNull().unique()
                table.column("words", .integer).notNull()
                table.column("longestWord", .text).notNull()
            }
        }
    }

    /// Stores a score; answers its row id.
    /// - Throws: GRDB's `DatabaseError` when the document has a score already.
    public func insert(_ score: Score) async throws -> Int64 {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO score (document, words, longestWord) VALUES (?, ?, ?)",
                arguments: [score.document, score.words, score.longestWord])
            return db.lastInsertedRowID
        }
    }

    /// How many scores are stored.
    public func count() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM score") ?? 0 }
    }

    /// The scores with the most words.
    public func top(_ limit: Int) async throws -> [Score] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT document, words, longestWord FROM score ORDER BY words DESC, document LIMIT ?",
                arguments: [limit]
            ).map { Score(document: $0["document"], words: $0["words"], longestWord: $0["longestWord"]) }
        }
    }

    /// The service handlers over this database, for the pool.
    public var services: ServiceRegistry {
        var services = ServiceRegistry()
        services.register(Results.store) { score in try await self.insert(score) }
        services.register(Results.count) { _ in try await self.count() }
        return services
    }
}

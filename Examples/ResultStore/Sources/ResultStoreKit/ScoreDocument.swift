import Parallax

/// Scores one document in a worker and stores the score through the parent's service. Returns the
/// stored row's id and how many scores the database held right after.
public struct ScoreDocument: WorkerTask {
    /// The document's number, unique in the database.
    public var document: Int
    /// The document's text.
    public var text: String

    /// Creates the task for one document.
    public init(document: Int, text: String) {
        self.document = document
        self.text = text
    }

    /// What the task reports.
    public struct Stored: Codable, Sendable {
        /// The id of the row the parent stored.
        public var rowID: Int64
        /// How many scores the database held right after, as the parent read it.
        public var storedSoFar: Int
    }

    /// Scores the document and stores the score through the parent.
    public func run(in context: WorkerContext) async throws -> Stored {
        let score = Score.of(text, document: document)
        let rowID = try await context.services.call(Results.store, score)
        let storedSoFar = try await context.services.call(Results.count, Empty())
        return Stored(rowID: rowID, storedSoFar: storedSoFar)
    }

    /// The tasks the parent and its workers share.
    public static let registry = TaskRegistry(ScoreDocument.self)

    /// A document of the example: a few hundred words, different for each number.
    public static func sample(_ document: Int) -> String {
        let words = ["parallel", "isolated", "worker", "process", "swift", "task", "service", "database"]
        return (0..<(100 + document % 50)).map { words[($0 * 7 + document) % words.count] }
            .joined(separator: " ") + " document\(document)"
    }
}

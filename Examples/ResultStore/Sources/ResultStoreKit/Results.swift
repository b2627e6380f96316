import Parallax

/// The service the parent offers: workers store a document's score and read how many are stored.
/// Both ends use these values, so the compiler checks every call's input and output types.
public enum Results {
    /// Stores a score; answers the row's id. A second score for the same document is refused.
    public static let store = ServiceMethod<Score, Int64>("results.store")
    /// Answers how many scores are stored.
    public static let count = ServiceMethod<Empty, Int>("results.count")
}

/// An input with nothing in it.
public struct Empty: Codable, Sendable {
    /// Creates the empty input.
    public init() {}
}

/// What a worker computed for one document.
public struct Score: Codable, Sendable, Equatable {
    /// The document's number.
    public var document: Int
    /// How many words it has.
    public var words: Int
    /// Its longest word.
    public var longestWord: String

    /// Creates a score.
    public init(document: Int, words: Int, longestWord: String) {
        self.document = document
        self.words = words
        self.longestWord = longestWord
    }

    /// Scores a text.
    public static func of(_ text: String, document: Int) -> Score {
        let words = text.split(whereSeparator: { !$0.isLetter })
        let longest = words.max { $0.count < $1.count || ($0.count == $1.count && $0 > $1) }
        return Score(document: document, words: words.count, longestWord: longest.map(String.init) ?? "")
    }
}

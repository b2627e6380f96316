import Hummingbird

/// The body of `POST /regex`.
public struct RegexRequest: Codable, Sendable {
    /// The regular expression, in Swift `Regex` syntax.
    public var pattern: String
    /// The text to search.
    public var text: String

    /// A request body.
    public init(pattern: String, text: String) {
        self.pattern = pattern
        self.text = text
    }
}

extension RegexSearch.Matches: ResponseEncodable {}
extension DecodeImage.Summary: ResponseEncodable {}

public import Parallax
import Tracing

/// Evaluates a user-supplied regular expression over a posted text.
///
/// Swift's `Regex` backtracks: a pattern such as `(a+)+$` over a long run of `a` followed by
/// another character takes exponential time. A server cannot stop such a match in its own
/// process (a `Task` cannot be killed); in a worker, the pool's timeout ends the process.
public struct RegexSearch: WorkerTask {
    /// The user's pattern.
    public var pattern: String
    /// The text to search.
    public var text: String
    /// How many matches to return (all are counted).
    public var limit: Int

    /// A search of `text` for `pattern`.
    public init(pattern: String, text: String, limit: Int = 20) {
        self.pattern = pattern
        self.text = text
        self.limit = limit
    }

    /// The matches found.
    public struct Matches: Codable, Sendable, Equatable {
        /// How many matches there are.
        public var count: Int
        /// The first matches, up to the limit.
        public var matches: [String]
    }

    /// A pattern that does not compile.
    public struct InvalidPattern: Error, CustomStringConvertible {
        /// Why the pattern does not compile.
        public var description: String
    }

    /// Compiles the pattern and collects its matches.
    public func run(in context: WorkerContext) async throws -> Matches {
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw InvalidPattern(description: "the pattern does not compile: \(error)")
        }
        // A span of the worker's own, a child of the pool's span for the task.
        return withSpan("regex.evaluate") { span in
            var count = 0
            var matches: [String] = []
            for match in text.matches(of: regex) {
                count += 1
                if matches.count < limit { matches.append(String(text[match.range])) }
            }
            span.attributes["regex.matches"] = count
            context.logger.debug("regex evaluated", metadata: ["matches": "\(count)"])
            return Matches(count: count, matches: matches)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The environment a pool's workers start with: the parent's, some of it, or only what you give.
///
/// Secrets in the parent's environment (database passwords, API tokens) reach the workers only
/// when this lets them through. Whatever the choice, a worker also gets the few variables the pool
/// sets for its channel (`PARALLAX_*`) and, unless given, crash-report settings for the Swift
/// runtime (`SWIFT_BACKTRACE`).
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.environment = .allowlist(["PATH", "HOME", "LANG", "TZ"])
/// configuration.environment["REPORT_DIR"] = "/var/reports"   // added on top
/// ```
public struct WorkerEnvironment: Sendable, Hashable {
    enum Base: Sendable, Hashable {
        case inherit(removing: Set<String>)
        case allowlist(Set<String>)
        case empty
    }

    let base: Base
    /// Variables set on top of the base, replacing any of the same name.
    public var additions: [String: String]

    /// Every variable of the parent, when the worker starts.
    public static var inherit: WorkerEnvironment {
        WorkerEnvironment(base: .inherit(removing: []), additions: [:])
    }

    /// Every variable of the parent but the named ones, plus `additions`.
    /// - Parameters:
    ///   - removing: Names kept from the workers.
    ///   - additions: Variables set on top.
    /// - Returns: The environment choice.
    public static func inherit(
        removing: Set<String> = [], adding additions: [String: String] = [:]
    ) -> WorkerEnvironment {
        WorkerEnvironment(base: .inherit(removing: removing), additions: additions)
    }

    /// Only the named variables of the parent (those it has), plus `additions`.
    /// - Parameters:
    ///   - names: The variables passed through.
    ///   - additions: Variables set on top.
    /// - Returns: The environment choice.
    public static func allowlist(
        _ names: Set<String>, adding additions: [String: String] = [:]
    ) -> WorkerEnvironment {
        WorkerEnvironment(base: .allowlist(names), additions: additions)
    }

    /// Exactly these variables, and nothing of the parent's.
    /// - Parameter variables: The variables.
    /// - Returns: The environment choice.
    public static func exactly(_ variables: [String: String]) -> WorkerEnvironment {
        WorkerEnvironment(base: .empty, additions: variables)
    }

    /// A variable set on top of the base; setting `nil` removes only an addition.
    public subscript(name: String) -> String? {
        get { additions[name] }
        set { additions[name] = newValue }
    }

    /// The variables a worker gets, given the parent's.
    package func resolved(parent: [String: String]) -> [String: String] {
        var result: [String: String]
        switch base {
        case .inherit(let removing):
            result = parent.filter { !removing.contains($0.key) }
        case .allowlist(let names):
            result = parent.filter { names.contains($0.key) }
        case .empty:
            result = [:]
        }
        result.merge(additions) { _, added in added }
        return result
    }

    /// The parent's environment now. Split at the first `=` as bytes: a worker spawn reads it,
    /// and a search by `Character` costs a grapheme break test per byte.
    package static var current: [String: String] {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let text = UnsafeBufferPointer(start: bytes, count: length)
                guard let equals = text.firstIndex(of: UInt8(ascii: "=")) else { return }
                let name = String(decoding: UnsafeBufferPointer(rebasing: text[..<equals]), as: UTF8.self)
                variables[name] = String(
                    decoding: UnsafeBufferPointer(rebasing: text[(equals + 1)...]), as: UTF8.self)
            }
            cursor += 1
        }
        return variables
    }
}

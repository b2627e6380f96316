/// Why a call to a parent-side service failed, as the calling task sees it.
///
/// ```swift
/// do {
///     let id = try await context.services.call(ResultStore.save, row)
/// } catch let error where error.kind == .threw {
///     // the parent's handler threw: error.type, error.message, error.code
/// }
/// ```
public struct ServiceError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong. A struct with static members, so that kinds can be added.
    public struct Kind: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The kind's stable name.
        public let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The parent's handler threw; ``ServiceError/type``, ``ServiceError/message`` and
        /// ``ServiceError/code`` describe its error.
        public static let threw = Kind("threw")
        /// The parent has no handler for the method.
        public static let unknownMethod = Kind("unknownMethod")
        /// The pool is shutting down and takes no new calls.
        public static let unavailable = Kind("unavailable")
        /// No answer came within the call's deadline; the parent's handler was cancelled.
        public static let timedOut = Kind("timedOut")
        /// The calling task was cancelled; so was the parent's handler.
        public static let cancelled = Kind("cancelled")
        /// The input or the output could not be encoded or decoded.
        public static let encoding = Kind("encoding")
        /// The input or the output is larger than the pool's
        /// `WorkerPool/Configuration/maximumPayloadSize`.
        public static let payloadTooLarge = Kind("payloadTooLarge")
        /// The call was made outside a worker process, where there is no parent to call.
        public static let notInWorker = Kind("notInWorker")

        /// The kind's stable name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public var kind: Kind
    /// The method called.
    public var method: String
    /// For ``Kind/threw``, the Swift type of the parent's error; otherwise `Parallax.ServiceError`.
    public var type: String
    /// A description for a person.
    public var message: String
    /// The numeric code of the parent's error, when it had one (see ``CodedError``).
    public var code: Int?

    /// Creates an error.
    /// - Parameters:
    ///   - kind: What went wrong.
    ///   - method: The method called.
    ///   - type: The Swift type of the underlying error.
    ///   - message: A description for a person.
    ///   - code: A numeric code.
    public init(
        kind: Kind, method: String, type: String = "Parallax.ServiceError", message: String,
        code: Int? = nil
    ) {
        self.kind = kind
        self.method = method
        self.type = type
        self.message = message
        self.code = code
    }

    /// A one-line summary.
    public var description: String {
        var text = "[\(kind)] \(method): \(type): \(message)"
        if let code { text += " (code \(code))" }
        return text
    }
}

extension ServiceError: StableTypeName {
    /// `Parallax.ServiceError`.
    package static let stableTypeName = "Parallax.ServiceError"
}

/// Why one task did not produce a value: the error half of a `TaskResult`.
///
/// A `TaskError` is plain data, not a live error: it crossed a process boundary or was built from
/// an error that did. It carries the ``kind`` of failure, the Swift type name of the thrown error,
/// its message, its numeric code when it had one, and a trace: for a crash, the worker's last
/// lines on stderr, where the Swift runtime prints the crash reason and a backtrace.
///
/// ```swift
/// for slot in await group.wait() {
///     if case .failure(let error) = slot.result {
///         print("[\(error.kind)] \(error.type): \(error.message)")
///     }
/// }
/// ```
public struct TaskError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The kind of failure.
    ///
    /// A struct with static members rather than an enum, so that kinds can be added without
    /// breaking a `switch`.
    public struct Kind: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The kind's stable name, as printed and as sent over the wire.
        public let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// Decodes a kind from its stable name.
        /// - Parameter decoder: The decoder to read from.
        /// - Throws: A decoding error when the value is not a string.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        /// Encodes the kind's stable name.
        /// - Parameter encoder: The encoder to write to.
        /// - Throws: An encoding error from `encoder`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The task threw an error; ``TaskError/type`` names the error's type.
        public static let threw = Kind("threw")
        /// The worker process died while running the task: a trap, a signal or an exit.
        public static let crashed = Kind("crashed")
        /// The task ran past its timeout and its worker was stopped.
        public static let timedOut = Kind("timedOut")
        /// The task was cancelled before it finished.
        public static let cancelled = Kind("cancelled")
        /// The task was never run: the pool refused it (shutting down, failed, or full).
        public static let rejected = Kind("rejected")
        /// The worker broke the channel protocol; it was replaced.
        public static let protocolViolation = Kind("protocolViolation")
        /// A task of a queue across hosts lost the hosts that ran it too often (each died or lost
        /// its lease mid-task); the trace lists the attempts.
        public static let hostLost = Kind("hostLost")
        /// A task of a queue across hosts failed every attempt it was allowed (its worker died
        /// each time); the error carries the last failure and the trace lists the attempts.
        public static let attemptsExhausted = Kind("attemptsExhausted")

        /// The kind's stable name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var kind: Kind
    /// The Swift type name of the error, such as `MyApp.ShardError`, or a name this library gives
    /// to a failure that is not a thrown error, such as `Parallax.WorkerCrash` (see ``reason``).
    public var type: String
    /// A message a person can act on.
    public var message: String
    /// The error's numeric code, when it has one (see ``CodedError``).
    public var code: Int?
    /// Where the failure happened: for a crash, the worker's last stderr lines with the runtime's
    /// crash message and backtrace; for a thrown error, the error's full reflection and the task
    /// and worker it came from.
    public var trace: String
    /// How the worker process ended, for ``Kind/crashed`` and ``Kind/timedOut``.
    public var termination: ProcessTermination?
    /// The worker process that ran the task, when it ran in one.
    public var workerPID: Int32?

    /// Creates a task error.
    ///
    /// - Parameters:
    ///   - kind: The kind of failure.
    ///   - type: The type name of the error.
    ///   - message: A message a person can act on.
    ///   - code: The numeric code, if any.
    ///   - trace: Where the failure happened.
    ///   - termination: How the worker process ended, if it did.
    ///   - workerPID: The worker process that ran the task, if any.
    public init(
        kind: Kind, type: String, message: String, code: Int? = nil, trace: String = "",
        termination: ProcessTermination? = nil, workerPID: Int32? = nil
    ) {
        self.kind = kind
        self.type = type
        self.message = message
        self.code = code
        self.trace = trace
        self.termination = termination
        self.workerPID = workerPID
    }

    /// Describes a thrown error: its type name, its description as the message, its code when
    /// it conforms to ``CodedError`` or is an `Int`-backed enum, and its reflection as the trace.
    ///
    /// - Parameters:
    ///   - error: The error a task threw.
    ///   - context: Where it was thrown, appended to the trace.
    public init(describing error: any Error, context: String = "") {
        if let existing = error as? TaskError {
            self = existing
            return
        }
        let typeName =
            (Swift.type(of: error) as? any StableTypeName.Type)?.stableTypeName
            ?? String(reflecting: Swift.type(of: error))
        let reflection = "\(typeName): \(String(reflecting: error))"
        self.init(
            kind: error is CancellationError ? .cancelled : .threw,
            type: typeName,
            message: String(describing: error),
            code: Self.numericCode(of: error),
            trace: context.isEmpty ? reflection : "\(reflection)\n\(context)"
        )
    }

    private static func numericCode(of error: any Error) -> Int? {
        if let coded = error as? any CodedError { return coded.code }
        if let raw = error as? any RawRepresentable { return raw.rawValue as? Int }
        return nil
    }

    /// A one-line summary: kind, type, message and code.
    public var description: String {
        var text = "[\(kind)] \(type): \(message)"
        if let code { text += " (code \(code))" }
        return text
    }
}

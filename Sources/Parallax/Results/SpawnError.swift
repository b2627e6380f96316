/// Thrown by `go`, `submit` and `map` when a task cannot be started at all, before anything is
/// sent: a task the registry does not know, an input that cannot be encoded, or an input larger
/// than the pool's payload limit.
///
/// The input is encoded inside the call, so the task sees exactly the value it had then; a value
/// that cannot be encoded (a live resource, a float the coder rejects) fails here, at the call
/// site, and no worker ever sees it.
///
/// ```swift
/// do {
///     try group.go(Unregistered())
/// } catch let error as SpawnError where error.code == .unregisteredTask {
///     print(error.message)
/// }
/// ```
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// Which spawn error this is.
    ///
    /// A struct with static members rather than an enum, so that codes can be added without
    /// breaking a `switch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The task type or function is not in the registry the pool was built with.
        public static let unregisteredTask = Code("unregisteredTask")
        /// The input cannot be encoded for the trip to a worker; ``SpawnError/underlying`` holds
        /// the encoder's error.
        public static let unencodableInput = Code("unencodableInput")
        /// The encoded input is larger than the pool's
        /// ``WorkerPool/Configuration/maximumPayloadSize``.
        public static let payloadTooLarge = Code("payloadTooLarge")

        /// The code's name.
        public var description: String { name }
    }

    /// Which spawn error this is.
    public var code: Code
    /// The registered name of the task that could not be started.
    public var taskName: String
    /// What went wrong, for a person.
    public var message: String
    /// The error behind this one: the encoder's, for ``Code/unencodableInput``.
    public var underlying: (any Error)?

    private init(_ code: Code, taskName: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.taskName = taskName
        self.message = message
        self.underlying = underlying
    }

    /// A task the pool's registry does not have.
    @usableFromInline
    package static func unregisteredTask(_ name: String) -> SpawnError {
        SpawnError(
            .unregisteredTask, taskName: name,
            message:
                "no task named '\(name)' is registered; add it to the TaskRegistry of the pool and its workers"
        )
    }

    /// An input the encoder refused with `error`.
    @usableFromInline
    package static func unencodableInput(_ name: String, _ error: any Error) -> SpawnError {
        SpawnError(
            .unencodableInput, taskName: name,
            message: "the input of task '\(name)' cannot cross the process boundary: \(error)",
            underlying: error)
    }

    /// An input (`inputs` of them, for a chunk of a map) that encodes to `count` bytes, over `limit`.
    @usableFromInline
    package static func payloadTooLarge(_ name: String, count: Int, limit: Int, inputs: Int = 1) -> SpawnError
    {
        SpawnError(
            .payloadTooLarge, taskName: name,
            message: "the input of '\(name)' encodes to \(count) bytes"
                + (inputs > 1 ? " in a chunk of \(inputs) inputs" : "")
                + ", over the pool's payload limit of \(limit) bytes (Configuration.maximumPayloadSize)")
    }

    /// The code and the message.
    public var description: String { "SpawnError(\(code)): \(message)" }
}

/// The former name of a ``SpawnError`` with code ``SpawnError/Code/unencodableInput``.
@available(
    *, deprecated, renamed: "SpawnError",
    message: "an unencodable input is a SpawnError with code .unencodableInput"
)
public typealias CaptureError = SpawnError

/// Thrown by `go`, `submit` and `map` when a task cannot be started at all: a task the registry does
/// not know, or an input larger than the pool's payload limit.
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
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The task type or function is not in the registry the pool was built with.
        public static let unregisteredTask = Code("unregisteredTask")
        /// The encoded input is larger than the pool's
        /// ``WorkerPool/Configuration/maximumPayloadSize``.
        public static let payloadTooLarge = Code("payloadTooLarge")

        /// The code's name.
        public var description: String { name }
    }

    /// Which spawn error this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { "SpawnError(\(code)): \(message)" }
}

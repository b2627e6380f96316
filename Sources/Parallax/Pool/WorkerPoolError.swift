/// Why a ``WorkerPool`` itself could not run or stopped, as opposed to the failure of one task
/// (``/ParallaxWire/TaskError``).
public struct WorkerPoolError: Error, Sendable, CustomStringConvertible {
    /// Which error this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// ``WorkerPool/run()`` was called a second time; a pool runs once.
        public static let alreadyRunning = Code("alreadyRunning")

        /// Workers failed more often than the configured ``RestartIntensity`` allows, and the pool
        /// stopped.
        public static let restartIntensityExceeded = Code("restartIntensityExceeded")

        /// A worker failed and the ``SupervisionStrategy`` stopped the pool: ``SupervisionStrategy/stopAll``,
        /// or ``SupervisionStrategy/ignore`` with no worker left.
        public static let workerFailed = Code("workerFailed")

        /// The workers serve no task registry that matches the pool's: the executable started as a
        /// worker does not pass the pool's `TaskRegistry` to ``Worker/serveIfWorker(_:bootstrap:)-(TaskRegistry,_)``.
        /// A mismatch does not mend itself, so the pool stops at once.
        public static let registryMismatch = Code("registryMismatch")

        /// The code's name.
        public var description: String { name }
    }

    /// Which error this is.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { "WorkerPoolError(\(code)): \(message)" }
}

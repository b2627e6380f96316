extension TaskError {
    /// The named identity of a failure this library produces, as opposed to an error a task threw.
    ///
    /// Compare ``TaskError/reason`` with these members rather than ``TaskError/type`` with a
    /// string; ``TaskError/reason`` is `nil` for an error thrown by the task's own code.
    ///
    /// ```swift
    /// switch slot.error?.reason {
    /// case .mailboxFull?: retryLater()
    /// case .workerCrashed?, .outOfMemory?: report(slot.error)
    /// default: break
    /// }
    /// ```
    ///
    /// A struct with static members rather than an enum, so that reasons can be added without
    /// breaking a `switch`. Each reason's ``typeName`` is the ``TaskError/type`` the error
    /// carries, stable across releases and the process boundary.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        /// The ``TaskError/type`` an error with this reason carries, such as
        /// `Parallax.WorkerCrash`.
        public let typeName: String

        private init(_ typeName: String) {
            self.typeName = typeName
        }

        /// The reason whose ``typeName`` is `type`, or `nil` when `type` names no failure of
        /// this library.
        /// - Parameter type: A ``TaskError/type``.
        public init?(type: String) {
            guard let reason = Self.all[type] else { return nil }
            self = reason
        }

        // MARK: The worker died

        /// The worker process died while running the task: a trap, a signal or an exit
        /// (kind ``TaskError/Kind/crashed``).
        public static let workerCrashed = Reason("Parallax.WorkerCrash")
        /// The worker ran out of memory under its `ResourceLimits/memoryBytes` limit
        /// (kind ``TaskError/Kind/crashed``).
        public static let outOfMemory = Reason("Parallax.WorkerOutOfMemory")
        /// The worker used up its `ResourceLimits/cpuSeconds` limit
        /// (kind ``TaskError/Kind/crashed``).
        public static let cpuLimitExceeded = Reason("Parallax.WorkerCPULimit")
        /// The task ran past its timeout and its worker was stopped
        /// (kind ``TaskError/Kind/timedOut``).
        public static let timedOut = Reason("Parallax.TaskTimeout")
        /// The worker broke the channel protocol and was replaced
        /// (kind ``TaskError/Kind/protocolViolation``).
        public static let protocolViolation = Reason("Parallax.ProtocolError")

        // MARK: The task was cancelled

        /// The task was cancelled: before it ran, or while it ran and its worker was stopped
        /// (kind ``TaskError/Kind/cancelled``). The type is Swift's `CancellationError`, which a
        /// task that observes its own cancellation may also throw.
        public static let cancelled = Reason("Swift.CancellationError")

        // MARK: The pool did not run the task

        /// The pool-wide queue was full (`WorkerPool/WhenFull/fail`) (kind
        /// ``TaskError/Kind/rejected``).
        public static let mailboxFull = Reason("Parallax.MailboxFull")
        /// The pool was shutting down: the task came after `WorkerPool/shutdown()`, or it did
        /// not finish within the graceful shutdown timeout (kind ``TaskError/Kind/rejected`` or
        /// ``TaskError/Kind/cancelled``).
        public static let poolShuttingDown = Reason("Parallax.PoolShuttingDown")
        /// The pool gave up: its restart intensity was exceeded, or a worker failed under
        /// `SupervisionStrategy/stopAll` (kind ``TaskError/Kind/rejected``).
        public static let poolFailed = Reason("Parallax.PoolFailed")
        /// No worker could start, so nothing could run the task (kind ``TaskError/Kind/rejected``).
        public static let noWorkerAvailable = Reason("Parallax.NoWorkerAvailable")
        /// The task's worker failed and `SupervisionStrategy/ignore` leaves its slot empty (kind
        /// ``TaskError/Kind/rejected``).
        public static let workerNotRestarted = Reason("Parallax.WorkerNotRestarted")
        /// The task's answer was larger than `WorkerPool/Configuration/maximumPayloadSize`; the
        /// worker goes on (kind ``TaskError/Kind/rejected``).
        public static let payloadTooLarge = Reason("Parallax.PayloadTooLarge")
        /// The worker has no task by the name it was sent (kind ``TaskError/Kind/rejected``).
        public static let unregisteredTask = Reason("Parallax.UnregisteredTask")

        // MARK: The value did not cross the boundary

        /// The worker could not encode the task's result (kind ``TaskError/Kind/threw``).
        public static let resultNotEncodable = Reason("Parallax.ResultEncodingError")
        /// The parent could not decode the task's result as the expected output type (kind
        /// ``TaskError/Kind/threw``).
        public static let resultNotDecodable = Reason("Parallax.ResultDecodingError")

        // MARK: A worker did not start

        /// The worker process could not be spawned (kind ``TaskError/Kind/rejected``).
        public static let spawnFailed = Reason("Parallax.SpawnFailure")
        /// The worker ended before its handshake (kind ``TaskError/Kind/crashed``).
        public static let workerStartFailed = Reason("Parallax.WorkerStartFailure")
        /// The worker's own bootstrap failed without saying why (kind ``TaskError/Kind/threw``).
        public static let bootstrapFailed = Reason("Parallax.BootstrapFailure")
        /// The worker serves a different `TaskRegistry` than the pool; the pool stops (kind
        /// ``TaskError/Kind/rejected``).
        public static let registryMismatch = Reason("Parallax.RegistryMismatch")
        /// The worker could not apply its `ResourceLimits` (kind ``TaskError/Kind/rejected``).
        public static let resourceLimitsNotApplied = Reason("Parallax.ResourceLimits")
        /// The worker could not drop to its `WorkerPrivileges` (kind
        /// ``TaskError/Kind/rejected``).
        public static let privilegesNotDropped = Reason("Parallax.Privileges")

        // MARK: Queues across hosts

        /// The hosts that ran a queued task died or lost their leases too often (kind
        /// ``TaskError/Kind/hostLost``).
        public static let hostLost = Reason("Parallax.HostLost")
        /// A queued task's worker died in every attempt it was allowed (kind
        /// ``TaskError/Kind/attemptsExhausted``).
        public static let attemptsExhausted = Reason("Parallax.AttemptsExhausted")

        /// Every reason, by type name.
        private static let all: [String: Reason] = Dictionary(
            uniqueKeysWithValues: [
                workerCrashed, outOfMemory, cpuLimitExceeded, timedOut, protocolViolation, cancelled,
                mailboxFull, poolShuttingDown, poolFailed, noWorkerAvailable, workerNotRestarted,
                payloadTooLarge, unregisteredTask, resultNotEncodable, resultNotDecodable, spawnFailed,
                workerStartFailed, bootstrapFailed, registryMismatch, resourceLimitsNotApplied,
                privilegesNotDropped, hostLost, attemptsExhausted,
            ].map { ($0.typeName, $0) })

        /// The reason's type name.
        public var description: String { typeName }
    }

    /// The named identity of this failure when the library produced it, such as
    /// ``Reason/workerCrashed`` or ``Reason/mailboxFull``; `nil` for an error the task threw.
    public var reason: Reason? { Reason(type: type) }
}

extension WorkerPool {
    /// Something that happened to a pool's workers, for dashboards, logs and tests.
    ///
    /// Read them from ``WorkerPool/events``:
    ///
    /// ```swift
    /// Task {
    ///     for await event in pool.events where event.kind == .workerCrashed {
    ///         alert("worker \(event.pid ?? 0) crashed: \(event.message)")
    ///     }
    /// }
    /// ```
    public struct Event: Sendable, CustomStringConvertible {
        /// What happened. A struct with static members, so that kinds can be added.
        public struct Kind: Sendable, Hashable, CustomStringConvertible {
            /// The kind's stable name.
            public let rawValue: String

            private init(_ rawValue: String) {
                self.rawValue = rawValue
            }

            /// A worker completed its handshake and takes tasks.
            public static let workerStarted = Kind("workerStarted")
            /// A worker died while running a task: a trap, a signal, an exit or a kill.
            public static let workerCrashed = Kind("workerCrashed")
            /// A worker died while idle.
            public static let workerExited = Kind("workerExited")
            /// A worker could not be started, or its bootstrap failed.
            public static let workerStartFailed = Kind("workerStartFailed")
            /// A healthy worker was replaced by a fresh one, between tasks (see ``Recycling``).
            public static let workerRecycled = Kind("workerRecycled")
            /// A worker that failed will be started again after ``Event/delay``: zero when it is
            /// replaced at once (it answered a task before it failed), the backoff otherwise. Every
            /// restart has one, whichever worker failed.
            public static let workerRestarting = Kind("workerRestarting")
            /// Workers failed more often than the restart intensity allows: the pool stopped.
            public static let gaveUp = Kind("gaveUp")
            /// The pool stopped taking tasks and drains the running ones.
            public static let draining = Kind("draining")
            /// Every worker has stopped; this is the last event.
            public static let stopped = Kind("stopped")

            /// The kind's stable name.
            public var description: String { rawValue }
        }

        /// What happened.
        public var kind: Kind
        /// The worker slot, for worker events.
        public var slot: Int?
        /// The worker process, when there was one.
        public var pid: Int32?
        /// How the worker process ended, for crashes and exits.
        public var termination: ProcessTermination?
        /// The wait before a restart, for ``Kind/workerRestarting``.
        public var delay: Duration?
        /// What happened, for a person.
        public var message: String

        package init(
            _ kind: Kind, slot: Int? = nil, pid: Int32? = nil, termination: ProcessTermination? = nil,
            delay: Duration? = nil, message: String
        ) {
            self.kind = kind
            self.slot = slot
            self.pid = pid
            self.termination = termination
            self.delay = delay
            self.message = message
        }

        /// A one-line summary.
        public var description: String {
            var text = "[\(kind)]"
            if let slot { text += " slot \(slot)" }
            if let pid { text += " pid \(pid)" }
            return text + ": \(message)"
        }
    }
}

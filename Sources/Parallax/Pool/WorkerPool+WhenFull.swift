extension WorkerPool {
    /// What a submit does when ``Configuration/mailboxLimit`` tasks already wait for a worker.
    public struct WhenFull: Sendable, Hashable, CustomStringConvertible {
        private let waits: Bool

        private init(waits: Bool) {
            self.waits = waits
        }

        /// Fail at once with a ``/ParallaxWire/TaskError/Kind/rejected`` error with reason
        /// ``/ParallaxWire/TaskError/Reason/mailboxFull``:
        /// the caller learns that the pool is saturated. The default.
        public static let fail = WhenFull(waits: false)

        /// Suspend until there is room, then queue the task.
        public static let wait = WhenFull(waits: true)

        package var isWait: Bool { waits }

        /// `fail` or `wait`.
        public var description: String { waits ? "wait" : "fail" }
    }
}

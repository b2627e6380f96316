/// What a pool's graceful shutdown does with tasks that still wait for a worker.
public struct ShutdownPolicy: Sendable, Hashable, CustomStringConvertible {
    package let drains: Bool

    private init(drains: Bool) {
        self.drains = drains
    }

    /// Answer them at once with a ``/ParallaxWire/TaskError/Kind/rejected`` error with reason
    /// ``/ParallaxWire/TaskError/Reason/poolShuttingDown``. The default: shutdown is quick.
    public static let reject = ShutdownPolicy(drains: false)

    /// Run them, within the graceful shutdown timeout; those still waiting when it ends are
    /// rejected.
    public static let drain = ShutdownPolicy(drains: true)

    /// `reject` or `drain`.
    public var description: String { drains ? "drain" : "reject" }
}

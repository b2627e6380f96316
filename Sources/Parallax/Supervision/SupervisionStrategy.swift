/// What a pool does when a worker crashes or cannot start, after failing the task it was running.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.supervision = .stopAll   // a crash means the deployment is broken: stop
/// ```
public struct SupervisionStrategy: Sendable, Hashable, CustomStringConvertible {
    package enum Storage: Sendable, Hashable {
        case restart
        case stopAll
        case ignore
    }

    package let storage: Storage

    /// Start a new worker in its place, after the ``WorkerPool/Configuration/restartBackoff`` when it
    /// keeps failing, and give the pool up past the ``WorkerPool/Configuration/restartIntensity``.
    /// The default.
    public static let restartOnCrash = SupervisionStrategy(storage: .restart)

    /// Stop the whole pool: queued and new tasks fail with a ``/ParallaxWire/TaskError/Kind/rejected`` error with
    /// reason ``/ParallaxWire/TaskError/Reason/poolFailed``, and ``WorkerPool/run()`` throws
    /// ``WorkerPoolError/Code/workerFailed``.
    public static let stopAll = SupervisionStrategy(storage: .stopAll)

    /// Leave the slot empty: the pool goes on with fewer workers. When none is left it stops as
    /// for ``stopAll``.
    public static let ignore = SupervisionStrategy(storage: .ignore)

    /// The strategy's name.
    public var description: String {
        switch storage {
        case .restart: "restartOnCrash"
        case .stopAll: "stopAll"
        case .ignore: "ignore"
        }
    }
}

/// How many worker restarts a pool allows in a period before it gives up: Erlang/OTP's restart
/// intensity, counted across all the pool's workers.
///
/// A pool whose workers crash more often than this is broken (a bad deploy, a missing resource),
/// and restarting them forever would only hide it. Past the limit the pool enters a failed state:
/// queued and new tasks fail with a ``/ParallaxWire/TaskError/Kind/rejected`` error with reason
/// ``/ParallaxWire/TaskError/Reason/poolFailed``, a ``WorkerPool/Event/Kind/gaveUp`` event is sent, and
/// ``WorkerPool/run()``
/// throws ``WorkerPoolError/Code/restartIntensityExceeded``.
public struct RestartIntensity: Sendable, Hashable {
    /// The most restarts allowed within ``period``.
    public var maximumRestarts: Int
    /// The sliding window the restarts are counted in.
    public var period: Duration

    /// Creates a restart intensity.
    /// - Parameters:
    ///   - maximumRestarts: The most restarts allowed within `period`.
    ///   - period: The sliding window the restarts are counted in.
    public init(maximumRestarts: Int, period: Duration) {
        precondition(maximumRestarts >= 0, "the restart limit cannot be negative")
        self.maximumRestarts = maximumRestarts
        self.period = period
    }

    /// 50 restarts in 10 seconds.
    public static let `default` = RestartIntensity(maximumRestarts: 50, period: .seconds(10))

    /// No limit: workers are restarted however often they fail.
    public static let unlimited = RestartIntensity(maximumRestarts: .max, period: .zero)
}

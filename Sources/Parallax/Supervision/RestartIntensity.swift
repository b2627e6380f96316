/// How many worker restarts a pool allows in a period before it gives up: Erlang/OTP's restart
/// intensity, counted across all the pool's workers.
///
/// A pool whose workers crash more often than this is broken (a bad deploy, a missing resource),
/// and restarting them forever would only hide it. Past the limit the pool enters a failed state:
/// queued and new tasks fail with a ``TaskError/Kind/rejected`` error with reason
/// ``TaskError/Reason/poolFailed``, a ``WorkerPool/Event/Kind/gaveUp`` event is sent, and
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

/// The restarts of the last period, kept to check a ``RestartIntensity``. Pure: times are passed
/// in, so tests drive it with any clock.
struct RestartWindow: Sendable {
    let intensity: RestartIntensity
    private var restarts = FIFOQueue<Duration>()

    init(_ intensity: RestartIntensity) {
        self.intensity = intensity
    }

    /// The restarts counted now.
    var count: Int { restarts.count }

    /// Records a restart at `now` (time since any fixed origin).
    /// - Returns: `false` when this restart exceeds the intensity.
    mutating func record(at now: Duration) -> Bool {
        guard intensity.maximumRestarts != .max else { return true }
        while let oldest = restarts.first, now - oldest > intensity.period { _ = restarts.popFirst() }
        restarts.append(now)
        return restarts.count <= intensity.maximumRestarts
    }
}

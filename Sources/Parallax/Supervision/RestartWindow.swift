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

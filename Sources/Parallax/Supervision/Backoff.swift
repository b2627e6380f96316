/// Exponential backoff with jitter, for restarting workers that keep failing.
///
/// The first attempt after a failure waits ``initial``; each further failure in a row multiplies
/// the delay by ``multiplier`` up to ``maximum``. ``jitter`` spreads each delay at random by up to
/// that fraction either way, so that workers failing together do not restart in lockstep.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.restartBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
/// ```
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    /// The factor between consecutive delays; at least 1.
    public var multiplier: Double
    /// The fraction, from 0 to 1, by which a delay may vary either way.
    public var jitter: Double

    /// Creates a backoff.
    /// - Parameters:
    ///   - initial: The delay before the first retry.
    ///   - maximum: The longest delay.
    ///   - multiplier: The factor between consecutive delays; at least 1.
    ///   - jitter: The fraction, from 0 to 1, by which a delay may vary either way.
    public init(initial: Duration, maximum: Duration, multiplier: Double = 2, jitter: Double = 0.2) {
        precondition(multiplier >= 1, "a backoff multiplier is at least 1")
        precondition((0...1).contains(jitter), "jitter is a fraction from 0 to 1")
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// 10 ms, doubling up to 2 s, with 20 % jitter.
    public static let `default` = Backoff(initial: .milliseconds(10), maximum: .seconds(2))

    /// The delay before retry number `attempt` (1 for the first retry).
    ///
    /// - Parameters:
    ///   - attempt: Which retry this is, from 1; 0 or less gives no delay.
    ///   - random: A number from 0 up to 1 that picks the jitter; 0.5 gives the nominal delay.
    /// - Returns: The delay.
    public func delay(attempt: Int, random: Double) -> Duration {
        guard attempt > 0 else { return .zero }
        var nominal = initial.timeInterval
        let cap = maximum.timeInterval
        for _ in 1..<attempt where nominal < cap { nominal *= multiplier }
        nominal = min(nominal, cap)
        let spread = nominal * jitter * (2 * min(max(random, 0), 1) - 1)
        return .nanoseconds(Int64(max(0, nominal + spread) * 1e9))
    }
}

import CoreMetrics

/// The pool's swift-metrics instruments, created once per pool.
///
/// | label | kind | dimensions |
/// | --- | --- | --- |
/// | `parallax_tasks_submitted_total` | counter | pool |
/// | `parallax_tasks_completed_total` | counter | pool |
/// | `parallax_tasks_failed_total` | counter | pool, kind |
/// | `parallax_worker_restarts_total` | counter | pool |
/// | `parallax_queue_depth` | meter | pool |
/// | `parallax_tasks_in_flight` | meter | pool |
/// | `parallax_task_duration` | timer (nanoseconds, submit to answer) | pool |
/// | `parallax_service_calls_total` | counter, calls answered with a value | pool |
/// | `parallax_service_call_failures_total` | counter | pool, kind |
/// | `parallax_service_call_duration` | timer (nanoseconds, in the parent) | pool |
final class PoolMetrics: Sendable {
    static let serviceFailureKinds: [ServiceError.Kind] = [
        .threw, .unknownMethod, .unavailable, .timedOut, .cancelled, .encoding,
    ]

    static let failureKinds: [TaskError.Kind] = [
        .threw, .crashed, .timedOut, .cancelled, .rejected, .protocolViolation,
    ]

    /// Whether a metrics backend receives the figures; `NOOPMetricsHandler` (the default when
    /// none was bootstrapped) drops them, so nothing is measured then.
    let isEnabled: Bool
    let submitted: Counter
    let completed: Counter
    let failed: [String: Counter]
    let restarts: Counter
    let queueDepth: Meter
    let inFlight: Meter
    let duration: CoreMetrics.Timer
    let serviceCalls: Counter
    let serviceFailures: [String: Counter]
    let serviceDuration: CoreMetrics.Timer

    init(pool: String, factory: any MetricsFactory) {
        isEnabled = !(factory is NOOPMetricsHandler)
        let dimensions = [("pool", pool)]
        submitted = Counter(label: "parallax_tasks_submitted_total", dimensions: dimensions, factory: factory)
        completed = Counter(label: "parallax_tasks_completed_total", dimensions: dimensions, factory: factory)
        var failed: [String: Counter] = [:]
        for kind in Self.failureKinds {
            failed[kind.rawValue] = Counter(
                label: "parallax_tasks_failed_total", dimensions: dimensions + [("kind", kind.rawValue)],
                factory: factory)
        }
        self.failed = failed
        restarts = Counter(label: "parallax_worker_restarts_total", dimensions: dimensions, factory: factory)
        queueDepth = Meter(label: "parallax_queue_depth", dimensions: dimensions, factory: factory)
        inFlight = Meter(label: "parallax_tasks_in_flight", dimensions: dimensions, factory: factory)
        duration = CoreMetrics.Timer(
            label: "parallax_task_duration", dimensions: dimensions, factory: factory)
        serviceCalls = Counter(
            label: "parallax_service_calls_total", dimensions: dimensions, factory: factory)
        var serviceFailures: [String: Counter] = [:]
        for kind in Self.serviceFailureKinds {
            serviceFailures[kind.rawValue] = Counter(
                label: "parallax_service_call_failures_total",
                dimensions: dimensions + [("kind", kind.rawValue)],
                factory: factory)
        }
        self.serviceFailures = serviceFailures
        serviceDuration = CoreMetrics.Timer(
            label: "parallax_service_call_duration", dimensions: dimensions, factory: factory)
    }

    /// Records the outcome of a service call that ran `elapsed` in the parent, or was refused
    /// (`elapsed` nil).
    func recordServiceCall(_ outcome: Result<[UInt8], ServiceError>, elapsed: Duration?) {
        if let elapsed {
            serviceDuration.recordNanoseconds(elapsed.wholeNanoseconds)
        }
        switch outcome {
        case .success: serviceCalls.increment()
        case .failure(let error): serviceFailures[error.kind.rawValue]?.increment()
        }
    }

    /// Records the answer of a task submitted at `start`.
    func record(_ outcome: Result<[UInt8], TaskError>, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        duration.recordNanoseconds(elapsed.wholeNanoseconds)
        switch outcome {
        case .success: completed.increment()
        case .failure(let error): failed[error.kind.rawValue]?.increment()
        }
    }

    func load(queued: Int, inFlight running: Int) {
        guard isEnabled else { return }
        queueDepth.set(queued)
        inFlight.set(running)
    }

    /// `finish`, recording the task's outcome and duration first; `finish` itself, which takes no
    /// clock reading, when no metrics backend is bootstrapped.
    func timing(_ finish: Job.Finish) -> Job.Finish {
        guard isEnabled else { return finish }
        let submitted = ContinuousClock.now
        return .call { [self] outcome in
            record(outcome, since: submitted)
            finish(outcome)
        }
    }
}

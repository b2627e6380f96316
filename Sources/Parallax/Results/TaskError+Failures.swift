import Glibc

/// Every ``/ParallaxWire/TaskError`` the library itself produces, parent and worker side, built in one place so
/// that each failure has one ``/ParallaxWire/TaskError/Reason``, one kind and one wording.
extension TaskError {
    private init(
        _ reason: Reason, _ kind: Kind, _ message: String, trace: String = "",
        termination: ProcessTermination? = nil, workerPID: Int32? = nil
    ) {
        self.init(
            kind: kind, type: reason.typeName, message: message, trace: trace, termination: termination,
            workerPID: workerPID)
    }

    // MARK: The worker died

    /// The failure of the task a worker was running when it ended: a crash, or, when the limits
    /// explain the end, running out of memory or CPU time; a protocol violation when the parent
    /// stopped the worker for one.
    package static func crashed(task name: String, report: ExitReport, limits: ResourceLimits = .none)
        -> TaskError
    {
        let trace = report.stderrTail.joined(separator: "\n")
        if let protocolError = report.protocolError {
            return TaskError(
                .protocolViolation, .protocolViolation,
                "worker pid \(report.pid) broke the channel protocol while running '\(name)': \(protocolError)",
                trace: trace, termination: report.termination, workerPID: report.pid)
        }
        var reason = Reason.workerCrashed
        var message = "worker pid \(report.pid) crashed with \(report.termination) while running '\(name)'"
        if let memory = limits.memoryBytes, report.crashMessage?.contains("failed to allocate") == true {
            reason = .outOfMemory
            message =
                "worker pid \(report.pid) ran out of memory (limit \(memory >> 20) MiB) while running '\(name)'"
        } else if let cpu = limits.cpuSeconds, report.termination == .signaled(SIGXCPU) {
            reason = .cpuLimitExceeded
            message = "worker pid \(report.pid) used up its CPU time limit (\(cpu) s) while running '\(name)'"
        }
        if let crash = report.crashMessage { message += ": \(crash)" }
        return TaskError(
            reason, .crashed, message, trace: trace, termination: report.termination, workerPID: report.pid)
    }

    /// A task that ran past its timeout; its worker is being stopped.
    package static func timedOut(task name: String, after timeout: Duration, workerPID: Int32) -> TaskError {
        TaskError(
            .timedOut, .timedOut,
            "task '\(name)' ran past its timeout of \(timeout); worker pid \(workerPID) was stopped",
            workerPID: workerPID)
    }

    /// A worker broke the channel protocol; `message` says how.
    @usableFromInline
    package static func protocolViolation(_ message: String) -> TaskError {
        TaskError(.protocolViolation, .protocolViolation, message)
    }

    // MARK: The task was cancelled

    /// A cancelled task: before it ran (named or not), or while it ran and its worker was stopped.
    package static func cancelled(task name: String? = nil, running: Bool = false, workerPID: Int32? = nil)
        -> TaskError
    {
        let task = name.map { "task '\($0)'" } ?? "the task"
        let message =
            running
            ? "\(task) was cancelled while running; its worker was stopped"
            : "\(task) was cancelled before it started"
        return TaskError(.cancelled, .cancelled, message, workerPID: workerPID)
    }

    // MARK: The pool did not run the task

    /// A task that came after the pool stopped taking work.
    package static func shuttingDown(task name: String) -> TaskError {
        TaskError(
            .poolShuttingDown, .rejected, "task '\(name)' was not run: the worker pool is shutting down")
    }

    /// A running task the pool gave up on when its graceful shutdown timeout passed.
    package static func abandonedAtShutdown(task name: String) -> TaskError {
        TaskError(
            .poolShuttingDown, .cancelled,
            "task '\(name)' did not finish within the pool's graceful shutdown timeout")
    }

    /// A task refused because `limit` tasks already wait for a worker.
    package static func mailboxFull(task name: String, limit: Int) -> TaskError {
        TaskError(
            .mailboxFull, .rejected, "task '\(name)' was not queued: \(limit) tasks already wait for a worker"
        )
    }

    /// The pool's own failure when it gives up; `reason` says why.
    package static func poolFailed(_ reason: String) -> TaskError {
        TaskError(.poolFailed, .rejected, reason)
    }

    /// A task refused by a pool that gave up with `failure`.
    package static func poolFailed(task name: String, _ failure: TaskError) -> TaskError {
        TaskError(
            .poolFailed, .rejected,
            "task '\(name)' was not run: the worker pool gave up (\(failure.message))",
            trace: failure.trace)
    }

    /// A task refused because no worker could start; `failure` is the last start's failure.
    package static func noWorkerAvailable(task name: String, _ failure: TaskError) -> TaskError {
        TaskError(
            .noWorkerAvailable, .rejected,
            "task '\(name)' was not run: no worker could start (\(failure.message))",
            trace: failure.trace)
    }

    /// The failure left on a slot that ``SupervisionStrategy/ignore`` does not restart.
    package static let workerNotRestarted = TaskError(
        .workerNotRestarted, .rejected, "a worker failed and the supervision strategy is ignore")

    /// An answer, or `what`, of `count` bytes over the pool's payload limit.
    package static func payloadTooLarge(_ what: String, count: Int, limit: Int, workerPID: Int32?)
        -> TaskError
    {
        TaskError(
            .payloadTooLarge, .rejected,
            "\(what) encodes to \(count) bytes, over the pool's payload limit of \(limit) bytes "
                + "(Configuration.maximumPayloadSize)",
            workerPID: workerPID)
    }

    /// A run frame for a task the worker's registry does not have.
    package static func unregisteredTask(_ name: String, workerPID: Int32) -> TaskError {
        TaskError(
            .unregisteredTask, .rejected, "this worker has no task named '\(name)'", workerPID: workerPID)
    }

    // MARK: The value did not cross the boundary

    /// A result the parent could not decode as `type`.
    @usableFromInline
    package static func resultNotDecodable(task name: String, as type: Any.Type, _ error: any Error)
        -> TaskError
    {
        TaskError(
            .resultNotDecodable, .threw, "the result of '\(name)' could not be decoded as \(type): \(error)",
            trace: String(reflecting: error))
    }

    /// A result the worker could not encode; `location` names the task and the worker.
    package static func resultNotEncodable(
        task name: String, _ error: any Error, location: String, workerPID: Int32
    )
        -> TaskError
    {
        TaskError(
            .resultNotEncodable, .threw, "the result of '\(name)' cannot be encoded: \(error)",
            trace: "\(String(reflecting: error))\n\(location)", workerPID: workerPID)
    }

    // MARK: A worker did not start

    /// A worker process that could not be spawned.
    package static func spawnFailed(_ error: any Error) -> TaskError {
        TaskError(.spawnFailed, .rejected, "could not start a worker: \(error)")
    }

    /// A worker that ended before its handshake.
    package static func workerStartFailed(_ report: ExitReport) -> TaskError {
        TaskError(
            .workerStartFailed, .crashed,
            "worker pid \(report.pid) ended before its handshake with \(report.termination)"
                + (report.crashMessage.map { ": \($0)" } ?? ""),
            trace: report.stderrTail.joined(separator: "\n"), termination: report.termination,
            workerPID: report.pid)
    }

    /// A worker bootstrap that failed with an answer the parent could not read.
    package static let bootstrapFailed = TaskError(.bootstrapFailed, .threw, "the worker bootstrap failed")

    /// A worker whose handshake names another registry than the pool's.
    package static func registryMismatch(workerPID: Int32) -> TaskError {
        TaskError(
            .registryMismatch, .rejected,
            "worker pid \(workerPID) serves a different task registry than the pool; "
                + "build the same TaskRegistry in the parent and the worker",
            workerPID: workerPID)
    }

    /// A worker that serves none of the pool's registries: it says which ones it serves.
    package static func registryMismatch(served: [[String]], wanted: UInt64, workerPID: Int32) -> TaskError {
        let listed = served.map { names in
            "[" + names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", …" : "") + "]"
        }
        return TaskError(
            .registryMismatch, .rejected,
            "worker pid \(workerPID) serves the task registries \(listed.joined(separator: " "))"
                + ", none of them the pool's (fingerprint \(String(wanted, radix: 16))); "
                + "pass the pool's TaskRegistry to Worker.serveIfWorker",
            workerPID: workerPID)
    }

    /// A worker that could not apply its resource limits; `what` says which step failed.
    package static func resourceLimitsNotApplied(_ what: String, workerPID: Int32) -> TaskError {
        TaskError(.resourceLimitsNotApplied, .rejected, "the worker could not \(what)", workerPID: workerPID)
    }

    /// A worker that could not drop to its privileges; `what` says which step failed.
    package static func privilegesNotDropped(_ what: String, workerPID: Int32) -> TaskError {
        TaskError(.privilegesNotDropped, .rejected, "the worker could not \(what)", workerPID: workerPID)
    }

    // MARK: Queues across hosts

    /// A queued task that never started because the node owning its group was lost (its lease
    /// expired, or it stopped) and the group was not detached.
    package static func ownerLost() -> TaskError {
        TaskError(
            .cancelled, .cancelled,
            "the task was cancelled before it started: the node that owned its group was lost "
                + "(its lease expired, or it stopped) and the group was not detached")
    }

    /// A queued task whose hosts died or lost their leases `times` times while running it;
    /// `history` lists its attempts.
    package static func hostLost(task name: String, times: Int, history: String) -> TaskError {
        TaskError(
            .hostLost, .hostLost,
            "task '\(name)' was running on a host that died or lost its lease \(times) time(s); "
                + "it was not tried again",
            trace: history)
    }

    /// A queued task whose worker died in each of its `attempts` attempts; `last` is the last
    /// attempt's failure, whose termination and trace it keeps, and `history` lists the attempts.
    package static func attemptsExhausted(task name: String, attempts: Int, last: TaskError?, history: String)
        -> TaskError
    {
        var message = "task '\(name)' failed all \(attempts) attempt(s) it was allowed"
        if let last { message += "; the last: \(last.message)" }
        let trace = [last?.trace, history].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        return TaskError(
            .attemptsExhausted, .attemptsExhausted, message, trace: trace, termination: last?.termination,
            workerPID: last?.workerPID)
    }
}

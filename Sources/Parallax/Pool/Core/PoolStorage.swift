import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The working part of a ``WorkerPool``: it holds the pool's state machine under one lock and
/// carries out the actions the machine returns (writing frames, completing jobs, arming
/// deadlines, signalling workers).
///
/// The public type is a thin shell over this one. The work is spread over extensions by concern:
/// - this file: state, ``run()``, events and drain detection;
/// - `PoolStorage+Jobs.swift`: submitting, waiting for an answer, cancelling, backpressure;
/// - `PoolStorage+Dispatch.swift`: writing frames to workers, task timeouts, recycling;
/// - `PoolStorage+Shutdown.swift`: the graceful shutdown and its timeouts;
/// - ``WorkerSlot`` (one per slot): restarts, backoff, giving up;
/// - ``WorkerLife`` (one per worker process): spawn, handshake, frames in, exit;
/// - ``InlineReplyReader``: a caller reading its own answer from an idle worker's pipe.
///
/// `docs/ARCHITECTURE.md` traces a task through these and gives the lock order.
final class PoolStorage: Sendable {
    let configuration: WorkerPool.Configuration
    let tasks: TaskRegistry
    let logger: Logger
    /// The pool's whole state: its lifecycle, slots, queue, jobs in flight and the tasks that wait
    /// for a condition of it. Reached only through ``withMachine(_:)``.
    private let state: Locked<PoolStateMachine<WorkerProcess>>
    let nextJobID = Atomic<UInt64>(1)
    let restarts: Locked<RestartWindow>
    let eventLog = EventLog()
    /// Every timer of the pool, on the clock of ``WorkerPool/TestHooks/clock`` in tests; stopped
    /// when ``run()`` returns.
    let timers: TimerService
    /// The deadlines of the running tasks, one per slot, from ``run()`` until it returns.
    let deadlines: SlotDeadlines
    /// The calls from worker code to the parent's services.
    let services: ServiceDispatcher
    let metrics: PoolMetrics
    let inline: InlineReplyReader
    let hooks: WorkerPool.TestHooks
    /// The page the workers' dead-man switch watches (``LeaseBoard``); `nil` when the system
    /// refused it, and then ``WorkerPool/setLeaseDeadline(after:)`` does nothing.
    let leaseBoard = LeaseBoard()

    init(
        configuration: WorkerPool.Configuration, tasks: TaskRegistry, services: ServiceRegistry,
        logger: Logger,
        metrics: PoolMetrics, hooks: WorkerPool.TestHooks
    ) {
        self.configuration = configuration
        self.tasks = tasks
        self.logger = logger
        self.metrics = metrics
        self.hooks = hooks
        self.services = ServiceDispatcher(registry: services, metrics: metrics)
        self.state = Locked(
            PoolStateMachine(
                slotCount: configuration.workerCount, pipelineDepth: configuration.pipelineDepth,
                dispatch: configuration.dispatch, queueLimit: configuration.mailboxLimit,
                maximumTasks: configuration.recycling.maximumTasks))
        self.restarts = Locked(RestartWindow(configuration.restartIntensity))
        self.timers = TimerService(clock: hooks.clock ?? SystemTimerClock())
        self.deadlines = SlotDeadlines(slots: configuration.workerCount, timers: timers)
        self.inline = InlineReplyReader(configuration: configuration)
    }

    // MARK: The state

    /// Runs a transition of the state machine under its lock, then resumes the tasks whose
    /// condition it made true (see ``wait(for:timeout:)``).
    ///
    /// Nothing but the machine runs inside the lock, apart from two atomic hand-overs of a reply
    /// pipe that must agree with it (``giveBackReplies(of:generation:)`` and
    /// ``WorkerLife/readEnded()``); no other lock is taken inside it.
    @inline(__always)
    func withMachine<Result>(_ body: (inout PoolStateMachine<WorkerProcess>) -> Result) -> Result {
        let (result, ready) = state.withLock { machine -> (Result, [OneShot<Bool>]) in
            let result = body(&machine)
            return (result, machine.hasWaiters ? machine.readyWaiters() : [])
        }
        for waiter in ready { waiter.deliver(true) }
        return result
    }

    /// Waits until `condition` of the pool holds, or `timeout` passes on the pool's timers.
    /// Ignores task cancellation.
    /// - Returns: Whether the condition holds (false: the time ran out).
    func wait(for condition: PoolStateMachine<WorkerProcess>.Condition, timeout: Duration? = nil) async
        -> Bool
    {
        let waiter = OneShot<Bool>()
        if withMachine({ $0.wait(for: condition, waiter) }) { return true }
        let timer = timeout.map { timeout in
            timers.schedule(after: timeout) { [self] in
                if withMachine({ $0.stopWaiting(waiter) }) { waiter.deliver(false) }
            }
        }
        let holds = await waiter.wait()
        if holds, let timer { timers.cancel(timer) }
        return holds
    }

    // MARK: Running

    /// Starts the workers and supervises them until shutdown; see ``WorkerPool/run()``.
    func run() async throws {
        guard withMachine({ $0.begin() }) else {
            throw WorkerPoolError(code: .alreadyRunning, message: "a WorkerPool runs once; create a new pool")
        }
        signal(SIGPIPE, SIG_IGN)
        logger.debug("starting pool", metadata: ["parallax.pool.workers": "\(configuration.workerCount)"])
        let room: (level: Logger.Level, message: Logger.Message, from: Int, to: Int, needed: Int)? =
            switch DescriptorLimit.ensureRoom(forWorkers: configuration.workerCount) {
            case .enough: nil
            case .raised(let from, let to, let needed):
                (
                    .notice, "raised this process's soft limit of open files for the pool's workers", from,
                    to, needed
                )
            case .short(let from, let to, let needed):
                (
                    .warning,
                    "the hard limit of open files is below what the pool's workers need; workers may fail to start",
                    from, to, needed
                )
            }
        if let room {
            logger.log(
                level: room.level, room.message,
                metadata: [
                    "parallax.nofile.from": "\(room.from)", "parallax.nofile.to": "\(room.to)",
                    "parallax.nofile.needed": "\(room.needed)",
                ])
        }
        // The handler holds the pool until stop() below: no expiry can outlive run().
        deadlines.start { [self] entry in
            self.expire(jobID: entry.jobID, generation: entry.generation, timeout: entry.timeout)
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for slot in 0..<configuration.workerCount {
                    let supervisor = WorkerSlot(storage: self, slot: slot)
                    group.addTask { await supervisor.supervise() }
                }
                group.addTask { await self.coordinateShutdown() }
            }
        } onCancelOrGracefulShutdown: {
            self.shutdown()
        }
        deadlines.stop()
        timers.stop()
        services.close()
        leaseBoard?.close()
        logger.debug("pool stopped")
        emit(WorkerPool.Event(.stopped, message: "every worker has stopped"))
        eventLog.finish()
        if let failure = withMachine({ $0.failure }) {
            throw WorkerPoolError(code: failure.code, message: failure.error.message)
        }
    }

    /// Sends an event to every reader of ``WorkerPool/events``.
    func emit(_ event: WorkerPool.Event) {
        eventLog.emit(event)
    }

    /// Stops the pool on its own: its workers failed in a way its supervision does not repair.
    func giveUp(_ reason: String, code: WorkerPoolError.Code) {
        let failure = TaskError.poolFailed(reason)
        guard let rejected = withMachine({ $0.fail(failure, code: code) }) else { return }  // gave up before
        logger.critical("worker pool gave up", metadata: ["parallax.error": "\(reason)"])
        emit(WorkerPool.Event(.gaveUp, message: reason))
        for job in rejected {
            job.complete(.failure(TaskError.poolFailed(task: job.name, failure)))
        }
        shutdown()
    }

    /// How to start a worker: the executable, its environment, and the lease board.
    var launch: WorkerLaunch {
        var launch = configuration.executable.launch(environment: workerEnvironment)
        launch.leaseBoardFD = leaseBoard?.fd ?? -1
        return launch
    }

    /// A worker's environment: the configured one, the limits and the privileges to drop.
    var workerEnvironment: [String: String] {
        var environment = configuration.environment.resolved(
            parent: hooks.parentEnvironment ?? WorkerEnvironment.current)
        environment[WorkerLaunch.limitsVariable] = configuration.resourceLimits.environmentValue
        environment[WorkerLaunch.privilegesVariable] = configuration.privileges.environmentValue
        environment[WorkerLaunch.payloadLimitVariable] = String(configuration.payloadLimit)
        environment[WorkerLaunch.registryVariable] = String(tasks.fingerprint, radix: 16)
        environment[WorkerLaunch.serviceTimeoutVariable] = configuration.serviceCallTimeout.map {
            String($0.wholeMicroseconds)
        }
        return environment
    }
}

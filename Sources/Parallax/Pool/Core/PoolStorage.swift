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
    /// The pool's state. Nothing but the machine's transitions runs inside its lock, apart from
    /// two atomic hand-overs of a reply pipe that must agree with the machine (see
    /// ``giveBackReplies(of:generation:)`` and ``WorkerLife/readEnded()``); no other lock is
    /// taken inside it.
    let state: Locked<PoolStateMachine<WorkerProcess>>
    let nextJobID = Atomic<UInt64>(1)
    let running = Atomic<Bool>(false)
    let shutdownRequested = Latch()
    let shutdownBegun = Atomic<Bool>(false)
    /// Set when no slot gets a new worker any more: at a shutdown that does not drain the queue,
    /// and when the channels close. Restart backoffs end early then.
    let spawningStopped = Latch()
    let drained = Latch()
    let stoppedSlots = Atomic<Int>(0)
    let allSlotsStopped = Latch()
    let started = Locked<(count: Int, waiters: [(target: Int, signal: OneShot<Void>)])>((0, []))
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
    let failureCode = Locked<WorkerPoolError.Code?>(nil)
    let roomWaiters = Locked<[OneShot<Void>]>([])
    let roomWaiterCount = Atomic<Int>(0)
    let inline: InlineReplyReader
    let hooks: WorkerPool.TestHooks

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

    // MARK: Running

    /// Starts the workers and supervises them until shutdown; see ``WorkerPool/run()``.
    func run() async throws {
        guard
            running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                .exchanged
        else {
            throw WorkerPoolError(code: .alreadyRunning, message: "a WorkerPool runs once; create a new pool")
        }
        signal(SIGPIPE, SIG_IGN)
        logger.debug("starting pool", metadata: ["parallax.pool.workers": "\(configuration.workerCount)"])
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
        logger.debug("pool stopped")
        emit(WorkerPool.Event(.stopped, message: "every worker has stopped"))
        eventLog.finish()
        if let failure = state.withLock({ $0.failure }) {
            throw WorkerPoolError(
                code: failureCode.withLock { $0 } ?? .workerFailed, message: failure.message)
        }
    }

    /// Sends an event to every reader of ``WorkerPool/events``.
    func emit(_ event: WorkerPool.Event) {
        eventLog.emit(event)
    }

    /// Sets ``drained`` once a shutdown has no task left to wait for. Before a shutdown it only
    /// reads a flag: it runs after every answer.
    func checkDrained() {
        guard shutdownBegun.load(ordering: .acquiring) else { return }
        if state.withLock({ $0.shutdownIsDrained }) { drained.set() }
    }

    /// Stops the pool on its own: its workers failed in a way its supervision does not repair.
    func giveUp(_ reason: String, code: WorkerPoolError.Code) {
        let failure = TaskError.poolFailed(reason)
        let rejected = state.withLock { machine -> [Job] in
            guard machine.failure == nil else { return [] }
            return machine.fail(failure)
        }
        failureCode.withLock { $0 = $0 ?? code }
        logger.critical("worker pool gave up", metadata: ["parallax.error": "\(reason)"])
        emit(WorkerPool.Event(.gaveUp, message: reason))
        for job in rejected {
            job.complete(.failure(TaskError.poolFailed(task: job.name, failure)))
        }
        shutdown()
    }

    // MARK: Started workers

    /// Counts a worker that completed its handshake and wakes who waited for that count.
    func workerDidStart() {
        let ready = started.withLock { state -> [OneShot<Void>] in
            state.count += 1
            let count = state.count
            let ready = state.waiters.filter { $0.target <= count }.map(\.signal)
            state.waiters.removeAll { $0.target <= count }
            return ready
        }
        for signal in ready { signal.deliver(()) }
    }

    /// Waits until `count` workers have completed their handshake since the pool started.
    func waitForStartedWorkers(_ count: Int) async {
        let signal = OneShot<Void>()
        let reached = started.withLock { state -> Bool in
            if state.count >= count { return true }
            state.waiters.append((count, signal))
            return false
        }
        if reached { return }
        await signal.wait()
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

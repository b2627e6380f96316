public import CoreMetrics
public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A supervised pool of warm worker processes.
///
/// The pool starts its workers when ``run()`` starts and keeps each slot filled: a worker that
/// crashes, is killed, or breaks the protocol fails only the task it was running, with the reason
/// in the ``TaskError``, and a new worker takes its place. Tasks wait in a queue for a free worker.
///
/// `WorkerPool` is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`, or scope it
/// with ``withPool(configuration:tasks:logger:_:)``. Graceful shutdown stops intake, rejects
/// queued tasks, lets running tasks finish within the graceful timeout, closes the channels and
/// kills what is left after the force timeout; it always ends and leaves no process behind.
///
/// ```swift
/// let tasks = TaskRegistry(Resize.self)
/// try await WorkerPool.withPool(configuration: .cpuBound, tasks: tasks) { pool in
///     let thumbnail = try await pool.submit(Resize(path: path, width: 200))
/// }
/// ```
public final class WorkerPool: Service, Sendable {
    /// The pool's configuration.
    public let configuration: Configuration
    /// The tasks the workers can run.
    public let tasks: TaskRegistry
    private let logger: Logger
    private let state: Locked<PoolStateMachine<WorkerProcess>>
    private let nextJobID = Atomic<UInt64>(1)
    private let running = Atomic<Bool>(false)
    private let shutdownRequested = Latch()
    private let shutdownBegun = Atomic<Bool>(false)
    /// Set when no slot gets a new worker any more: at a shutdown that does not drain the queue,
    /// and when the channels close. Restart backoffs end early then.
    private let spawningStopped = Latch()
    private let drained = Latch()
    private let stoppedSlots = Atomic<Int>(0)
    private let allSlotsStopped = Latch()
    private let started = Locked<(count: Int, waiters: [(target: Int, signal: OneShot<Void>)])>((0, []))
    private let restarts: Locked<RestartWindow>
    private let origin = ContinuousClock.now
    private let eventLog = EventLog()
    /// The deadlines of the running tasks, one per slot, from ``run()`` until it returns.
    private let deadlines: SlotDeadlines
    /// The calls from worker code to the parent's services.
    private let services: ServiceDispatcher
    private let metrics: PoolMetrics
    private let failureCode = Locked<WorkerPoolError.Code?>(nil)
    private let roomWaiters = Locked<[OneShot<Void>]>([])
    private let roomWaiterCount = Atomic<Int>(0)
    /// Whether a caller waits for its answer on its own thread, and whether that wait starts by
    /// polling (``Configuration/inlineReplyPolling``); one lock for both.
    private let inlinePolicies = Locked((wait: InlineWaitPolicy(), poll: InlineWaitPolicy()))
    private let inlineAnswered = Atomic<Int>(0)
    private let inlineMissed = Atomic<Int>(0)
    private let inlinePolled = Atomic<Int>(0)
    private let hooks: TestHooks

    /// What happens to the workers: starts, crashes, restarts, giving up, shutdown.
    ///
    /// Each access returns a stream of its own, so any number of readers each see every event:
    /// the newest 1,000 events since the pool was created, then each new one as it happens (a
    /// reader that falls more than 1,000 events behind loses the oldest). Every stream ends after
    /// ``Event/Kind/stopped``; one taken after the pool stopped holds the past events and ends.
    ///
    /// ```swift
    /// for await event in pool.events where event.kind == .workerCrashed {
    ///     logger.warning("\(event)")
    /// }
    /// ```
    public var events: AsyncStream<Event> { eventLog.stream() }

    /// Creates a pool. No worker starts before ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: Worker count, executable, timeouts.
    ///   - tasks: The tasks the workers can run; the workers must build the same registry.
    ///   - logger: Receives lifecycle events and the workers' output lines.
    ///   - metricsFactory: Where the pool's metrics go (see the list in the README); the globally
    ///     bootstrapped factory by default.
    public convenience init(
        configuration: Configuration = .default, tasks: TaskRegistry,
        services: ServiceRegistry = ServiceRegistry(),
        logger: Logger = Logger(label: "parallax.pool"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            configuration: configuration, tasks: tasks, services: services, logger: logger,
            metricsFactory: metricsFactory, hooks: TestHooks())
    }

    /// Points where a test pauses the pool to order events that it cannot order from outside.
    package struct TestHooks: Sendable {
        /// Called with a job's id before its deadline is set.
        package var beforeArming: (@Sendable (UInt64) -> Void)?
        /// Called with a job's id after its deadline was set (or found stale).
        package var afterArming: (@Sendable (UInt64) -> Void)?

        package init() {}
    }

    /// Creates a pool with test hooks.
    package init(
        configuration: Configuration, tasks: TaskRegistry, services: ServiceRegistry, logger: Logger,
        metricsFactory: any MetricsFactory, hooks: TestHooks
    ) {
        self.hooks = hooks
        self.metrics = PoolMetrics(pool: configuration.name, factory: metricsFactory)
        self.configuration = configuration
        self.services = ServiceDispatcher(registry: services, metrics: metrics)
        self.tasks = tasks
        var logger = logger
        logger[metadataKey: "parallax.pool"] = "\(configuration.name)"
        self.logger = logger
        self.state = Locked(
            PoolStateMachine(
                slotCount: configuration.workerCount, pipelineDepth: configuration.pipelineDepth,
                dispatch: configuration.dispatch, queueLimit: configuration.mailboxLimit,
                maximumTasks: configuration.recycling.maximumTasks))
        self.restarts = Locked(RestartWindow(configuration.restartIntensity))
        self.deadlines = SlotDeadlines(slots: configuration.workerCount)
    }

    // MARK: Running

    /// Starts the workers and supervises them until shutdown.
    ///
    /// Returns after a graceful shutdown (``shutdown()``, the service group's graceful shutdown)
    /// or a cancellation has stopped every worker.
    ///
    /// - Throws: ``WorkerPoolError`` with code ``WorkerPoolError/Code/alreadyRunning`` when called
    ///   a second time.
    public func run() async throws {
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
                    group.addTask { await self.supervise(slot: slot) }
                }
                group.addTask { await self.coordinateShutdown() }
            }
        } onCancelOrGracefulShutdown: {
            self.shutdown()
        }
        deadlines.stop()
        services.close()
        logger.debug("pool stopped")
        emit(Event(.stopped, message: "every worker has stopped"))
        eventLog.finish()
        if let failure = state.withLock({ $0.failure }) {
            throw WorkerPoolError(
                code: failureCode.withLock { $0 } ?? .workerFailed, message: failure.message)
        }
    }

    /// Starts a graceful shutdown; ``run()`` returns when it is complete.
    ///
    /// The pool takes no task from the moment this returns, and queued tasks are rejected with a
    /// ``TaskError/Kind/rejected`` error (unless ``Configuration/queuedTasksOnShutdown`` drains
    /// them); running tasks get the configured graceful timeout to finish.
    public func shutdown() {
        services.refuseNewCalls()
        guard !shutdownBegun.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopIntake()
        shutdownRequested.set()
    }

    /// Stops taking tasks and rejects the queued ones, or lets them drain.
    private func stopIntake() {
        let (rejected, drains) = state.withLock { machine in
            (machine.beginShutdown(drain: configuration.queuedTasksOnShutdown.drains), machine.needsWorkers)
        }
        if !drains { spawningStopped.set() }
        logger.debug("pool shutting down", metadata: ["parallax.pool.rejected": "\(rejected.count)"])
        emit(
            Event(
                .draining,
                message: drains
                    ? "the pool takes no more tasks and runs the queued ones"
                    : "the pool takes no more tasks; \(rejected.count) queued tasks were rejected"))
        for job in rejected {
            job.complete(.failure(TaskError.shuttingDown(task: job.name)))
        }
        wakeRoomWaiters()  // they find the pool closed
    }

    /// Runs `body` with a running pool, then shuts the pool down gracefully.
    ///
    /// - Parameters:
    ///   - configuration: Worker count, executable, timeouts.
    ///   - tasks: The tasks the workers can run.
    ///   - services: The parent's services that worker code can call.
    ///   - logger: Receives lifecycle events and the workers' output lines.
    ///   - body: Work that uses the pool.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func withPool<Result>(
        configuration: Configuration = .default, tasks: TaskRegistry,
        services: ServiceRegistry = ServiceRegistry(),
        logger: Logger = Logger(label: "parallax.pool"),
        _ body: (WorkerPool) async throws -> Result
    ) async throws -> Result {
        let pool = WorkerPool(configuration: configuration, tasks: tasks, services: services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(pool))
            } catch {
                result = .failure(error)
            }
            pool.shutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    // MARK: Submitting

    /// Runs a task in a worker and returns its output.
    ///
    /// Cancelling the calling task answers it with a ``TaskError/Kind/cancelled`` error: a queued
    /// task never runs; a running task's worker is stopped and replaced.
    ///
    /// - Parameters:
    ///   - task: The task; its input is encoded before this call suspends.
    ///   - timeout: The task's time limit, or the configuration's ``Configuration/taskTimeout``.
    ///   - whenFull: What to do when ``Configuration/mailboxLimit`` tasks already wait: fail at
    ///     once (the default) or wait for room.
    ///   - retry: Whether a failed task runs again; never by default.
    /// - Returns: The task's output.
    /// - Throws: ``SpawnError`` for an unregistered task or an input that cannot be encoded or is
    ///   over the payload limit, ``TaskError`` when the task fails or the mailbox is full.
    public func submit<Task: WorkerTask>(
        _ task: Task, timeout: Duration? = nil, whenFull: WhenFull = .fail, retry: RetryPolicy = .never
    ) async throws -> Task.Output {
        let encoded = try encode(task)
        return try await submitEncoded(
            encoded, timeout: timeout, whenFull: whenFull, retry: retry, as: Task.Output.self)
    }

    /// Runs a registered function in a worker and returns its output.
    ///
    /// - Parameters:
    ///   - function: The function.
    ///   - input: Its input, encoded before this call suspends.
    ///   - timeout: The task's time limit, or the configuration's ``Configuration/taskTimeout``.
    ///   - whenFull: What to do when the mailbox is full: fail at once (the default) or wait.
    ///   - retry: Whether a failed call runs again; never by default.
    /// - Returns: The function's output.
    /// - Throws: ``SpawnError`` or ``TaskError``, as for
    ///   ``submit(_:timeout:whenFull:retry:)-(Task,_,_,_)``.
    public func submit<Input, Output>(
        _ function: TaskFunction<Input, Output>, _ input: Input, timeout: Duration? = nil,
        whenFull: WhenFull = .fail, retry: RetryPolicy = .never
    ) async throws -> Output {
        return try await submitEncoded(
            try encode(function, input), timeout: timeout, whenFull: whenFull, retry: retry, as: Output.self)
    }

    private func submitEncoded<Output: Decodable>(
        _ task: EncodedTask, timeout: Duration?, whenFull: WhenFull, retry: RetryPolicy, as _: Output.Type
    ) async throws -> Output {
        let bytes = try await answer(task, timeout: timeout, whenFull: whenFull, retry: retry).get()
        return try Self.decodeOutput(Output.self, from: bytes, name: task.name)
    }

    /// Runs an encoded task and waits for its answer; cancelling the caller cancels the task.
    package func answer(
        _ task: EncodedTask, kind: Frame.Kind = .run, timeout: Duration?, whenFull: WhenFull = .fail,
        retry: RetryPolicy = .never
    ) async -> Result<[UInt8], TaskError> {
        var attempt = 1
        while true {
            let result = await answerOnce(task, kind: kind, timeout: timeout, whenFull: whenFull)
            guard case .failure(let error) = result, retry.retries(error, after: attempt), !Task.isCancelled
            else {
                return result
            }
            attempt += 1
        }
    }

    private func answerOnce(
        _ task: EncodedTask, kind: Frame.Kind, timeout: Duration?, whenFull: WhenFull
    ) async -> Result<[UInt8], TaskError> {
        let answer = OneShot<Result<[UInt8], TaskError>>()
        let id = makeJobID()
        let waitsInline =
            configuration.inlineReplyWait > .zero && inlinePolicies.withLock { $0.wait.shouldWait() }
        return await withTaskCancellationHandler {
            while true {
                // A caller cancelled before its job is known to the pool cancels it here.
                if Task.isCancelled { return .failure(TaskError.cancelled(task: task.name)) }
                let enqueued = enqueueJob(
                    id: id, kind: kind, task: task, timeout: timeout, whenFull: whenFull,
                    claimingReplies: waitsInline, finish: .deliver(answer))
                // The cancellation handler may have run before the job was known.
                if Task.isCancelled { cancel(jobID: id) }
                switch enqueued {
                case .taken:
                    return await answer.wait()
                case .claimed(let process, let generation):
                    if let value = readAnswer(from: process, generation: generation, into: answer) {
                        return value
                    }
                    return await answer.wait()
                case .notTaken:
                    await waitForRoom()
                }
            }
        } onCancel: {
            self.cancel(jobID: id)
            self.wakeRoomWaiters()
        }
    }

    /// Reads the reply pipe of `process`, claimed when the job was sent, on this thread until the
    /// answer arrives or ``Configuration/inlineReplyWait`` passed, then gives the pipe back.
    /// Returns the answer if it arrived.
    private func readAnswer<Value>(
        from process: WorkerProcess, generation: UInt64, into answer: OneShot<Value>
    ) -> Value? {
        let polling =
            configuration.inlineReplyPolling > .zero && inlinePolicies.withLock { $0.poll.shouldWait() }
            ? configuration.inlineReplyPolling : .zero
        let whilePolling = process.replies.read(
            until: { answer.isDelivered }, timeout: configuration.inlineReplyWait, polling: polling)
        giveBackReplies(of: process, generation: generation)
        let value = answer.take()
        inlinePolicies.withLock { policies in
            policies.wait.record(answeredInTime: value != nil)
            if polling > .zero { policies.poll.record(answeredInTime: whilePolling) }
        }
        if value != nil {
            inlineAnswered.add(1, ordering: .relaxed)
            if whilePolling { inlinePolled.add(1, ordering: .relaxed) }
        } else {
            inlineMissed.add(1, ordering: .relaxed)
        }
        return value
    }

    /// Round trips of ping frames through the idle worker of `slot`, each timed: the raw floor of
    /// the channel, with the processes and threads of a task's round trip. This thread writes the
    /// ping and blocks reading the pong, which the worker's reader thread answers without a task.
    /// For `parallax bench`: nothing else may use the pool meanwhile. Nil when the worker is busy
    /// or gone, or when its I/O thread does not let go of the pipe (a worker without a pidfd).
    package func pingRoundTrips(_ count: Int, slot: Int = 0) -> [Duration]? {
        enum Claim {
            case claimed(WorkerProcess, UInt64)
            case busy
            /// Idle, but the I/O thread still holds the pipe: it lets go at the end of the read
            /// that answered the worker's last task, which may be just after that answer arrived.
            case stillHeld
        }
        var attempts = 0
        var claim = Claim.stillHeld
        while case .stillHeld = claim, attempts < 10_000 {
            attempts += 1
            claim = state.withLock { machine -> Claim in
                guard machine.slots[slot].isReady, machine.slots[slot].sent.isEmpty,
                    let process = machine.slots[slot].handle
                else { return .busy }
                guard process.replies.claim() else { return .stillHeld }
                return .claimed(process, machine.slots[slot].generation)
            }
            if case .stillHeld = claim { sched_yield() }
        }
        guard case .claimed(let process, let generation) = claim else { return nil }
        let clock = ContinuousClock()
        let payload = [UInt8](repeating: 7, count: 8)
        var samples: [Duration] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let id = makeJobID()
            let start = clock.now
            guard process.writeNow(kind: .ping, id: id, payload: payload),
                process.replies.readPong(id: id, count: Frame.headerSize + payload.count)
            else { break }
            samples.append(clock.now - start)
        }
        giveBackReplies(of: process, generation: generation)
        return samples.count == count ? samples : nil
    }

    /// Gives back the reply pipe of `process`, claimed by this thread: to nobody when the worker
    /// holds no job, otherwise to its I/O thread. Under the state lock, where that is known.
    private func giveBackReplies(of process: WorkerProcess, generation: UInt64) {
        state.withLock { machine in
            let slot = process.slot
            let idle = machine.slots[slot].generation == generation && machine.slots[slot].sent.isEmpty
            process.replies.giveBack(othersPending: !idle)
        }
    }

    /// How many callers waited for their answer on their own thread
    /// (``Configuration/inlineReplyWait``): answered there, or gave up the wait.
    package var inlineWaits: (answered: Int, missed: Int) {
        (inlineAnswered.load(ordering: .relaxed), inlineMissed.load(ordering: .relaxed))
    }

    /// How many of the answers read on the caller's thread arrived while it polled
    /// (``Configuration/inlineReplyPolling``), before it slept.
    package var inlineAnswersWhilePolling: Int {
        inlinePolled.load(ordering: .relaxed)
    }

    /// Suspends until the queue may have room: a job left it, or the pool stopped taking jobs.
    private func waitForRoom() async {
        let signal = OneShot<Void>()
        roomWaiters.withLock { $0.append(signal) }
        roomWaiterCount.add(1, ordering: .relaxed)
        // Checked after registering, so that room made in between is not missed.
        let hasRoom = state.withLock { $0.queuedCount < $0.queueLimit || $0.lifecycle != .running }
        if hasRoom || Task.isCancelled { signal.deliver(()) }
        await signal.wait()
    }

    /// Wakes the submitters waiting for room; each tries again.
    private func wakeRoomWaiters() {
        guard roomWaiterCount.load(ordering: .relaxed) > 0 else { return }
        let waiters = roomWaiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        roomWaiterCount.subtract(waiters.count, ordering: .relaxed)
        for waiter in waiters { waiter.deliver(()) }
    }

    // MARK: Package interface, shared with WaitGroup

    /// A task checked against the registry, with its input snapshotted.
    @usableFromInline
    package struct EncodedTask: Sendable {
        @usableFromInline package var name: String
        /// The payload of the task's run frame: the name, then the encoded input.
        @usableFromInline package var payload: [UInt8]
    }

    /// Checks a task against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Task: WorkerTask>(_ task: Task) throws -> EncodedTask {
        try encode(name: Task.taskName, task)
    }

    /// Checks a function against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Input, Output>(_ function: TaskFunction<Input, Output>, _ input: Input) throws
        -> EncodedTask
    {
        try encode(name: function.name, input)
    }

    private func encode<Input: Encodable>(name: String, _ input: Input) throws -> EncodedTask {
        try checkRegistered(name)
        let payload: [UInt8]
        do {
            payload = try RunRequest.payload(name: name, input: input)
        } catch {
            throw SpawnError.unencodableInput(name, error)
        }
        try checkPayloadSize(payload.count, name: name)
        return EncodedTask(name: name, payload: payload)
    }

    /// Checks an encoded input (`inputs` of them, for a chunk of a map) against
    /// ``Configuration/maximumPayloadSize``.
    @usableFromInline
    package func checkPayloadSize(_ count: Int, name: String, inputs: Int = 1) throws(SpawnError) {
        try Self.checkPayloadSize(count, limit: configuration.payloadLimit, name: name, inputs: inputs)
    }

    /// Checks an encoded input against a payload limit.
    @usableFromInline
    package static func checkPayloadSize(_ count: Int, limit: Int, name: String, inputs: Int = 1)
        throws(SpawnError)
    {
        guard count > limit else { return }
        throw SpawnError.payloadTooLarge(name, count: count, limit: limit, inputs: inputs)
    }

    @usableFromInline
    package func checkRegistered(_ name: String) throws(SpawnError) {
        guard tasks.contains(name) else {
            throw SpawnError.unregisteredTask(name)
        }
    }

    @usableFromInline
    package static func decodeOutput<Output: Decodable>(
        _: Output.Type, from bytes: [UInt8], name: String
    ) throws(TaskError) -> Output {
        try decodeOutput(Output.self, from: bytes[...], name: name)
    }

    package static func decodeOutput<Output: Decodable>(
        _: Output.Type, from bytes: ArraySlice<UInt8>, name: String
    ) throws(TaskError) -> Output {
        do {
            return try WireCodec.decode(Output.self, from: bytes)
        } catch {
            throw TaskError.resultNotDecodable(task: name, as: Output.self, error)
        }
    }

    /// A fresh job id.
    @usableFromInline
    package func makeJobID() -> UInt64 {
        nextJobID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Queues an encoded run of a task, failing at once when the queue is full; `completion` is
    /// called exactly once, on any thread. For the inlinable paths that specialize in the caller.
    @usableFromInline
    package func enqueueRun(
        id: UInt64, task: EncodedTask, timeout: Duration?,
        completion: @escaping @Sendable (Result<[UInt8], TaskError>) -> Void
    ) {
        _ = enqueueJob(
            id: id, kind: .run, task: task, timeout: timeout, whenFull: .fail, claimingReplies: false,
            finish: .call(completion))
    }

    /// What ``enqueueJob(id:kind:task:timeout:whenFull:claimingReplies:finish:)`` did.
    private enum Enqueued {
        /// The queue is full and the caller waits for room: the job's outcome is never delivered.
        case notTaken
        case taken
        /// Taken and sent to an idle worker, whose reply pipe the caller now reads (see
        /// ``ReplyChannel``) and must give back.
        case claimed(WorkerProcess, generation: UInt64)
    }

    /// Queues an encoded task whose outcome goes to `finish`, exactly once and on any thread,
    /// unless the job was not taken (``Enqueued/notTaken``); with `claimingReplies`, a job sent at
    /// once to an idle worker comes with that worker's reply pipe.
    private func enqueueJob(
        id: UInt64, kind: Frame.Kind, task: EncodedTask, timeout: Duration?, whenFull: WhenFull,
        claimingReplies: Bool, finish: Job.Finish
    ) -> Enqueued {
        let job = Job(
            id: id, kind: kind, name: task.name, payload: task.payload,
            timeout: timeout ?? configuration.taskTimeout, finish: metrics.timing(finish))
        let (action, claimed, queued, running) = state.withLock { machine in
            let action = machine.submit(job)
            var claimed = false
            if case .send(let send) = action {
                // Claimed before the frame is posted, which otherwise hands the pipe to the I/O thread.
                claimed = claimingReplies && send.startsRunning && send.handle.replies.claim()
                Self.post(send)
            }
            return (action, claimed, machine.queuedCount, machine.inFlightCount)
        }
        metrics.load(queued: queued, inFlight: running)
        switch action {
        case .send(let send):
            metrics.submitted.increment()
            deliver(send)
            if claimed { return .claimed(send.handle, generation: send.generation) }
        case .queued:
            metrics.submitted.increment()
        case .full(let job):
            guard !whenFull.isWait else { return .notTaken }
            job.complete(
                .failure(
                    TaskError.mailboxFull(task: job.name, limit: configuration.mailboxLimit)))
        case .reject(let job, let error): job.complete(.failure(error))
        }
        return .taken
    }

    /// Cancels a job: a queued job never runs; a job sent ahead is skipped; a running job is
    /// cancelled in its worker, which is killed if it has not answered within the grace period.
    @usableFromInline
    package func cancel(jobID: UInt64) {
        let action = state.withLock { machine in
            let action = machine.cancel(jobID: jobID)
            switch action {
            case .skip(let job, let process), .cancelRunning(let job, let process, _):
                process.enqueue(kind: .cancel, id: job.id, payload: [])
            case .removedFromQueue, .none:
                break
            }
            return action
        }
        switch action {
        case .removedFromQueue(let job):
            job.complete(.failure(TaskError.cancelled(task: job.name)))
            wakeRoomWaiters()
        case .cancelRunning(let job, let process, let generation):
            job.complete(.failure(TaskError.cancelled(task: job.name, running: true)))
            flush(process)
            Delay.after(configuration.stopGracePeriod) { [self] in
                guard
                    let stuck = state.withLock({ $0.cancelGraceExpired(jobID: jobID, generation: generation) }
                    )
                else {
                    return
                }
                logger.info(
                    "a cancelled task did not stop within the grace period; killing its worker",
                    metadata: ["parallax.worker.pid": "\(stuck.pid)", "parallax.task": "\(job.name)"])
                stuck.signal(SIGKILL)
            }
        case .skip(let job, let process):
            job.complete(.failure(TaskError.cancelled(task: job.name)))
            flush(process)
        case .none:
            break
        }
        checkDrained()
    }

    // MARK: Dispatch

    /// Queues the run frames of `sends` on their workers, and makes sure each worker's replies are
    /// read. Called inside the state lock, so every worker receives its frames in the order the
    /// state machine assigned the jobs.
    private static func post(_ sends: [PoolStateMachine<WorkerProcess>.Send]) {
        for send in sends { post(send) }
    }

    /// Queues the run frame of one send, as ``post(_:)-([Send])``, without an array.
    private static func post(_ send: PoolStateMachine<WorkerProcess>.Send) {
        send.handle.enqueue(kind: send.job.kind, id: send.job.id, payload: send.job.payload)
        send.handle.replies.ensureReader()
    }

    /// Starts the timeouts of the jobs of `sends` that start running, then writes the frames
    /// queued for their workers: a deadline is set before its job can be answered. The deadline
    /// of a job whose frame could not be written fires harmlessly; the job went elsewhere.
    private func deliver(_ sends: [PoolStateMachine<WorkerProcess>.Send]) {
        guard sends.count > 1 else {
            if let send = sends.first { deliver(send) }
            return
        }
        wakeRoomWaiters()  // the sends may have come from the queue
        for send in sends where send.startsRunning {
            startTimeout(of: send.job, slot: send.slot, generation: send.generation, start: send.start)
        }
        var seen: Set<ObjectIdentifier> = []
        for send in sends where seen.insert(ObjectIdentifier(send.handle)).inserted {
            flush(send.handle)
        }
    }

    /// Delivers one send, as ``deliver(_:)-([Send])``, without an array or a set.
    private func deliver(_ send: PoolStateMachine<WorkerProcess>.Send) {
        wakeRoomWaiters()  // the send may have come from the queue
        if send.startsRunning {
            startTimeout(of: send.job, slot: send.slot, generation: send.generation, start: send.start)
        }
        flush(send.handle)
    }

    /// Writes the queued frames of `process`. A job whose frame could not be written never
    /// reached its worker, which is gone: it goes to another worker. Returns those jobs' ids.
    @discardableResult
    private func flush(_ process: WorkerProcess) -> [UInt64] {
        let unsent = process.flush()
        for id in unsent {
            logger.debug(
                "could not send to worker, requeueing",
                metadata: ["parallax.worker.pid": "\(process.pid)"])
            let retry = state.withLock { machine in
                let sends = machine.sendFailed(slot: process.slot, jobID: id)
                Self.post(sends)
                return sends
            }
            deliver(retry)
        }
        return unsent
    }

    /// Starts the timeout of a job that starts running in its worker: the `start`-th job of the
    /// slot's process `generation`.
    private func startTimeout(of job: Job, slot: Int, generation: UInt64, start: UInt64) {
        guard let timeout = job.timeout else { return }
        hooks.beforeArming?(job.id)
        deadlines.set(
            slot: slot,
            SlotDeadlines.Entry(
                deadline: .now + timeout, jobID: job.id, generation: generation, start: start,
                timeout: timeout))
        hooks.afterArming?(job.id)
    }

    private func expire(jobID: UInt64, generation: UInt64, timeout: Duration) {
        guard let (job, process) = state.withLock({ $0.timeoutExpired(jobID: jobID, generation: generation) })
        else { return }
        logger.info(
            "task timed out, stopping its worker",
            metadata: ["parallax.task": "\(job.name)", "parallax.worker.pid": "\(process.pid)"])
        job.complete(
            .failure(
                TaskError.timedOut(task: job.name, after: timeout, workerPID: process.pid)))
        // SIGTERM first, for a worker that cleans up; SIGKILL after the grace period. Through the
        // pidfd, a signal after the worker exited reaches nothing.
        process.signal(SIGTERM)
        Delay.after(configuration.stopGracePeriod) { process.signal(SIGKILL) }
    }

    /// What every slot is doing now; see ``workers``.
    var slotStatuses: [PoolStateMachine<WorkerProcess>.SlotStatus] { state.withLock { $0.slotStatuses } }

    /// How many calls from worker code to the parent's services are running now.
    package var runningServiceCalls: Int { services.runningCount }

    /// How many workers have completed their handshake since the pool started, replacements
    /// included.
    package var startedWorkerCount: Int { started.withLock { $0.count } }

    /// Waits until ``startedWorkerCount`` reaches `count`.
    package func waitForStartedWorkers(_ count: Int) async {
        let signal = OneShot<Void>()
        let reached = started.withLock { state -> Bool in
            if state.count >= count { return true }
            state.waiters.append((count, signal))
            return false
        }
        if reached { return }
        await signal.wait()
    }

    private func workerDidStart() {
        let ready = started.withLock { state -> [OneShot<Void>] in
            state.count += 1
            let count = state.count
            let ready = state.waiters.filter { $0.target <= count }.map(\.signal)
            state.waiters.removeAll { $0.target <= count }
            return ready
        }
        for signal in ready { signal.deliver(()) }
    }

    /// A worker's environment: the configured one, the limits and the privileges to drop.
    private var workerEnvironment: [String: String] {
        var environment = configuration.environment.resolved(parent: WorkerEnvironment.current)
        environment[WorkerLaunch.limitsVariable] = configuration.resourceLimits.environmentValue
        environment[WorkerLaunch.privilegesVariable] = configuration.privileges.environmentValue
        environment[WorkerLaunch.payloadLimitVariable] = String(configuration.payloadLimit)
        environment[WorkerLaunch.registryVariable] = String(tasks.fingerprint, radix: 16)
        environment[WorkerLaunch.serviceTimeoutVariable] = configuration.serviceCallTimeout.map {
            String($0.wholeMicroseconds)
        }
        return environment
    }

    /// Replaces the worker of `slot` once it is idle when its resident memory exceeds `ceiling`.
    private func recycleIfLarge(slot: Int, generation: UInt64, ceiling: Int) {
        guard
            let process = state.withLock({
                $0.slots[slot].generation == generation ? $0.slots[slot].handle : nil
            }),
            let resident = ProcessMemory.residentBytes(of: process.pid), resident > ceiling
        else { return }
        logger.info(
            "recycling a worker above the memory ceiling",
            metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.worker.rss": "\(resident)"])
        state.withLock { $0.retire(slot: slot, generation: generation) }?.closeRequests()
    }

    /// Sets ``drained`` once a shutdown has no task left to wait for. Before a shutdown it only
    /// reads a flag: it runs after every answer.
    private func checkDrained() {
        guard shutdownBegun.load(ordering: .acquiring) else { return }
        if state.withLock({ $0.lifecycle == .draining && $0.isDrained }) { drained.set() }
    }

    // MARK: Supervision

    private enum StartOutcome: Sendable {
        case ready(Handshake)
        case failed(TaskError)
    }

    /// How one worker process ended, for the supervisor.
    private enum WorkerOutcome {
        /// It never completed its handshake.
        case startFailed(TaskError)
        /// It ran and then ended, after answering this many tasks.
        case exited(answered: Int)
        /// The pool replaced it (recycling).
        case recycled
    }

    /// Keeps one slot filled with a worker until shutdown: restarts a worker that ended, after a
    /// backoff when it keeps failing, and gives the pool up when restarts exceed the intensity.
    private func supervise(slot: Int) async {
        var failuresInARow = 0
        var logger = logger
        logger[metadataKey: "parallax.worker.slot"] = "\(slot)"
        // The slot's processes not reaped yet: the slot has stopped only once they all are.
        var unreaped: [WorkerProcess] = []
        while let generation = state.withLock({ $0.workerSpawning(slot: slot) }) {
            let (outcome, process) = await runWorker(slot: slot, generation: generation, logger: logger) {
                // The replacement is ready: the ended ones may be cleaned up now.
                for ended in unreaped { ended.allowReaping() }
            }
            unreaped.removeAll { $0.reaped.isSet }
            if let process { unreaped.append(process) }
            // A worker stopped by shutdown, or still starting when shutdown closed it, is no failure;
            // while a shutdown drains queued tasks, a worker that ends is replaced as before.
            if shutdownRequested.isSet, !state.withLock({ $0.needsWorkers }) { break }
            switch outcome {
            case .startFailed(let failure):
                failuresInARow += 1
                let rejected = state.withLock {
                    $0.workerFailedToStart(slot: slot, generation: generation, error: failure)
                }
                for job in rejected {
                    job.complete(.failure(TaskError.noWorkerAvailable(task: job.name, failure)))
                }
                logger.error(
                    "worker failed to start",
                    metadata: [
                        "parallax.error": "\(failure.message)",
                        "parallax.worker.failures": "\(failuresInARow)",
                    ])
                emit(Event(.workerStartFailed, slot: slot, pid: failure.workerPID, message: failure.message))
                if failure.reason == .registryMismatch {
                    giveUp(failure.message, code: .registryMismatch)
                    break
                }
            case .exited(let answered):
                // A worker that did useful work before it died is replaced at once; one that died
                // before answering anything may be failing for good, and backs off.
                failuresInARow = answered > 0 ? 0 : failuresInARow + 1
            case .recycled:
                failuresInARow = 0
                continue  // a planned replacement: no restart to count, no backoff
            }
            switch configuration.supervision.storage {
            case .restart:
                break
            case .stopAll:
                giveUp(
                    "a worker failed and the supervision strategy is stopAll", code: .workerFailed)
            case .ignore:
                let ignored = TaskError.workerNotRestarted
                let rejected = state.withLock {
                    $0.workerFailedToStart(slot: slot, generation: generation, error: ignored)
                }
                for job in rejected {
                    job.complete(.failure(TaskError.noWorkerAvailable(task: job.name, ignored)))
                }
                if !rejected.isEmpty || state.withLock({ $0.unavailable != nil }) {
                    giveUp("every worker failed and the supervision strategy is ignore", code: .workerFailed)
                }
            }
            if configuration.supervision != .restartOnCrash { break }
            metrics.restarts.increment()
            let withinIntensity = restarts.withLock { $0.record(at: ContinuousClock.now - origin) }
            guard withinIntensity else {
                let intensity = configuration.restartIntensity
                giveUp(
                    "workers were restarted more than \(intensity.maximumRestarts) times in \(intensity.period)",
                    code: .restartIntensityExceeded)
                break
            }
            let delay = configuration.restartBackoff.delay(
                attempt: failuresInARow, random: .random(in: 0..<1))
            if delay > .zero {
                emit(Event(.workerRestarting, slot: slot, delay: delay, message: "restarting in \(delay)"))
                if await spawningStopped.wait(timeout: delay) { break }
            }
        }
        state.withLock { _ = $0.workerSpawning(slot: slot) }  // marks the slot stopped
        for process in unreaped {
            process.allowReaping()
            _ = await process.reaped.wait()
        }
        checkDrained()
        if stoppedSlots.add(1, ordering: .acquiringAndReleasing).newValue == configuration.workerCount {
            allSlotsStopped.set()
        }
    }

    /// Stops the pool on its own: its workers failed in a way its supervision does not repair.
    private func giveUp(_ reason: String, code: WorkerPoolError.Code) {
        let failure = TaskError.poolFailed(reason)
        let rejected = state.withLock { machine -> [Job] in
            guard machine.failure == nil else { return [] }
            return machine.fail(failure)
        }
        failureCode.withLock { $0 = $0 ?? code }
        logger.critical("worker pool gave up", metadata: ["parallax.error": "\(reason)"])
        emit(Event(.gaveUp, message: reason))
        for job in rejected {
            job.complete(.failure(TaskError.poolFailed(task: job.name, failure)))
        }
        shutdown()
    }

    private func emit(_ event: Event) {
        eventLog.emit(event)
    }

    /// Runs one worker process from spawn to exit. Returns the reason when it never became ready.
    /// Runs one worker process from spawn to exit; the process, when one started, comes back too:
    /// it is reaped a moment after its exit is reported (see ``WorkerProcess/reaped``).
    private func runWorker(
        slot: Int, generation: UInt64, logger: Logger, ready: () -> Void
    ) async -> (WorkerOutcome, WorkerProcess?) {
        var spawned: WorkerProcess?
        let outcome = await runWorker(
            slot: slot, generation: generation, logger: logger, spawned: { spawned = $0 }, ready: ready)
        return (outcome, spawned)
    }

    private func runWorker(
        slot: Int, generation: UInt64, logger: Logger, spawned: (WorkerProcess) -> Void, ready: () -> Void
    ) async -> WorkerOutcome {
        let startup = OneShot<StartOutcome>()
        let exit = OneShot<ExitReport>()
        let batch = ReadBatch()
        let process: WorkerProcess
        do {
            process = try WorkerProcess(
                launch: configuration.executable.launch(environment: workerEnvironment),
                slot: slot, heldJobs: configuration.pipelineDepth,
                maximumPayloadSize: configuration.payloadLimit,
                logger: logger,
                onFrame: { [self] frame in
                    // The I/O thread ends before the process is reaped, which `run()` awaits.
                    self.received(frame, slot: slot, generation: generation, startup: startup, batch: batch)
                },
                onReadEnd: { [self] in
                    // The tasks that the answers of one read made room for go out in one write.
                    self.deliver(batch.take())
                    // A worker that holds no job is read by nobody until it gets one, so that the
                    // caller of that job may read the answer itself.
                    state.withLock { machine in
                        guard machine.slots[slot].generation == generation, machine.slots[slot].sent.isEmpty
                        else { return }
                        machine.slots[slot].handle?.replies.releaseFromIOThread()
                    }
                },
                onExit: { [services] report in
                    services.workerEnded(slot: slot, generation: generation)
                    startup.deliver(.failed(TaskError.workerStartFailed(report)))
                    exit.deliver(report)
                })
        } catch {
            return .startFailed(
                TaskError.spawnFailed(error))
        }
        spawned(process)
        // A shutdown that closed the other channels before this worker was known closes this one.
        if state.withLock({ $0.workerSpawned(slot: slot, generation: generation, handle: process) }) {
            process.closeRequests()
        }

        switch await startup.wait() {
        case .ready(let handshake):
            guard handshake.registryFingerprint == tasks.fingerprint else {
                process.signal(SIGKILL)
                _ = await exit.wait()
                return .startFailed(
                    TaskError.registryMismatch(workerPID: process.pid))
            }
            logger.debug("worker ready", metadata: ["parallax.worker.pid": "\(process.pid)"])
            workerDidStart()
            ready()
            emit(
                Event(
                    .workerStarted, slot: slot, pid: process.pid,
                    message: "worker pid \(process.pid) is ready"))
            deliver(
                state.withLock { machine in
                    let sends = machine.workerStarted(slot: slot, generation: generation)
                    Self.post(sends)
                    return sends
                })
        case .failed(let error):
            process.signal(SIGKILL)
            _ = await exit.wait()
            return .startFailed(error)
        }

        var report = await exit.wait()
        let exited = state.withLock { machine in
            let exited = machine.workerExited(slot: slot, generation: generation, neverRead: report.neverRead)
            Self.post(exited.sends)
            return exited
        }
        let (retired, answered) = (exited.retired, exited.answered)
        deliver(exited.sends)
        for job in exited.rejected {
            job.complete(.failure(TaskError.shuttingDown(task: job.name)))
        }
        if let violation = exited.violation, report.protocolError == nil {
            report.protocolError = ProtocolError(.unexpectedFrame(violation))
        }
        if let job = exited.job {
            let error = TaskError.crashed(
                task: job.name, report: report, limits: configuration.resourceLimits)
            logger.info(
                "worker crashed while running a task",
                metadata: [
                    "parallax.worker.pid": "\(report.pid)", "parallax.task": "\(job.name)",
                    "parallax.termination": "\(report.termination)",
                ])
            job.complete(.failure(error))
            emit(
                Event(
                    .workerCrashed, slot: slot, pid: report.pid, termination: report.termination,
                    message: error.message))
        } else if retired {
            logger.debug("worker recycled", metadata: ["parallax.worker.pid": "\(report.pid)"])
            emit(
                Event(
                    .workerRecycled, slot: slot, pid: report.pid, termination: report.termination,
                    message: "worker pid \(report.pid) was replaced after answering \(answered) tasks"))
        } else if !shutdownRequested.isSet {
            logger.info(
                "worker exited while idle, replacing it",
                metadata: [
                    "parallax.worker.pid": "\(report.pid)", "parallax.termination": "\(report.termination)",
                ])
            emit(
                Event(
                    .workerExited, slot: slot, pid: report.pid, termination: report.termination,
                    message: "worker pid \(report.pid) exited while idle with \(report.termination)"))
        }
        checkDrained()
        return retired ? .recycled : .exited(answered: answered)
    }

    private func received(
        _ frame: Frame, slot: Int, generation: UInt64, startup: OneShot<StartOutcome>, batch: ReadBatch
    ) {
        switch frame.kind {
        case .hello:
            do {
                startup.deliver(.ready(try Handshake(frame: frame)))
            } catch {
                startup.deliver(
                    .failed(
                        TaskError.protocolViolation("\(error)")))
            }
        case .bootstrapFailed:
            let error =
                (try? WireCodec.decode(TaskError.self, from: frame.payload))
                ?? TaskError.bootstrapFailed
            var failure = error
            failure.message = "worker bootstrap failed: \(error.type): \(error.message)"
            startup.deliver(.failed(failure))
        case .result, .batchResult, .failure:
            let action = state.withLock { machine in
                let action = machine.taskFinished(slot: slot, generation: generation, jobID: frame.id)
                if case .finished(_, let sends, _, _) = action { Self.post(sends) }
                return action
            }
            switch action {
            case .finished(let job, let sends, let started, let retire):
                batch.add(sends)  // written after the read's last frame
                if let started {
                    startTimeout(
                        of: started.job, slot: started.slot, generation: started.generation,
                        start: started.start)
                }
                if let retire { retire.closeRequests() }
                if job != nil, frame.kind != .failure,
                    let ceiling = configuration.recycling.maximumResidentBytes
                {
                    recycleIfLarge(slot: slot, generation: generation, ceiling: ceiling)
                }
                if let job {
                    if frame.kind != .failure {
                        job.complete(.success(frame.payload))
                    } else {
                        let error =
                            (try? WireCodec.decode(TaskError.self, from: frame.payload))
                            ?? TaskError.protocolViolation(
                                "the worker sent a failure of task '\(job.name)' that could not be decoded")
                        job.complete(.failure(error))
                    }
                }
                checkDrained()
            case .ignore:
                break
            case .violation(let process):
                logger.error(
                    "worker answered a task it was not running; stopping it",
                    metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.task.id": "\(frame.id)"])
                process.signal(SIGKILL)
            }
        case .serviceCall:
            serviceCall(frame, slot: slot, generation: generation)
        case .serviceCancel:
            services.cancel(id: frame.id, slot: slot, generation: generation)
        case .pong:
            break  // read by ``pingRoundTrips(_:)`` on its own thread; a stray one is harmless
        case .run, .runBatch, .cancel, .serviceReply, .ping, .goodbye:
            // Only the parent sends these: the worker is broken. Its running task fails with a
            // protocol violation when it exits.
            let process = state.withLock { machine -> WorkerProcess? in
                guard machine.slots[slot].generation == generation else { return nil }
                return machine.markViolation(
                    slot: slot, "the worker sent a \(frame.kind) frame, which only the parent sends")
            }
            logger.error("worker sent a \(frame.kind) frame, which only the parent sends; stopping it")
            process?.signal(SIGKILL)
        }
    }

    /// Runs a call from worker code to a service of the parent, and sends the outcome back on
    /// the worker's channel.
    private func serviceCall(_ frame: Frame, slot: Int, generation: UInt64) {
        let process = state.withLock { machine -> WorkerProcess? in
            guard machine.slots[slot].generation == generation else { return nil }
            return machine.slots[slot].handle
        }
        guard let process else { return }  // a worker being replaced: its caller is gone
        let call: ServicePayload.Call
        do {
            call = try ServicePayload.Call(frame.payload)
        } catch {
            logger.error(
                "worker sent an unreadable service call; stopping it",
                metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.error": "\(error)"])
            process.signal(SIGKILL)
            return
        }
        let limit = configuration.payloadLimit
        services.start(call, id: frame.id, slot: slot, generation: generation) { outcome in
            var reply = ServicePayload.reply(outcome)
            if reply.count > limit {
                reply = ServicePayload.reply(
                    .failure(
                        ServiceError(
                            kind: .payloadTooLarge, method: call.method,
                            message:
                                "the parent's answer encodes to \(reply.count) bytes, over the pool's payload "
                                + "limit of \(limit) bytes (Configuration.maximumPayloadSize)")))
            }
            process.enqueue(kind: .serviceReply, id: frame.id, payload: reply)
            _ = process.flush()
        }
    }

    // MARK: Shutdown

    private func coordinateShutdown() async {
        _ = await shutdownRequested.wait()  // set by `shutdown()`, which stopped the intake
        checkDrained()
        if await !drained.wait(timeout: configuration.gracefulShutdownTimeout) {
            let (queued, abandoned) = state.withLock { ($0.stopDraining(), $0.abandonRunningJobs()) }
            for job in queued {
                job.complete(.failure(TaskError.shuttingDown(task: job.name)))
            }
            for job in abandoned {
                job.complete(
                    .failure(
                        TaskError.abandonedAtShutdown(task: job.name)))
            }
        }
        // Closing a channel ends its worker; one that lingers gets SIGTERM, then SIGKILL.
        let open = state.withLock { $0.closeChannels() }
        spawningStopped.set()
        for process in open { process.closeRequests() }
        if await allSlotsStopped.wait(timeout: configuration.forceShutdownTimeout) { return }
        for process in state.withLock({ $0.handles }) { process.signal(SIGTERM) }
        if await allSlotsStopped.wait(timeout: configuration.stopGracePeriod) { return }
        for process in state.withLock({ $0.handles }) { process.signal(SIGKILL) }
    }

}

/// The sends caused by the frames of one read of a worker's channel, written when the read's frames
/// are all handled. Used only by that worker's I/O thread.
private final class ReadBatch: @unchecked Sendable {
    private var sends: [PoolStateMachine<WorkerProcess>.Send] = []

    func add(_ more: [PoolStateMachine<WorkerProcess>.Send]) {
        sends.append(contentsOf: more)
    }

    func take() -> [PoolStateMachine<WorkerProcess>.Send] {
        defer { sends.removeAll(keepingCapacity: true) }
        return sends
    }
}

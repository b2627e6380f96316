public import CoreMetrics
public import Logging
public import ServiceLifecycle

/// A supervised pool of warm worker processes.
///
/// The pool starts its workers when ``run()`` starts and keeps each slot filled: a worker that
/// crashes, is killed, or breaks the protocol fails only the task it was running, with the reason
/// in the ``/ParallaxWire/TaskError``, and a new worker takes its place. Tasks wait in a queue for a free worker.
///
/// `WorkerPool` is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`, or scope it
/// with ``withPool(configuration:tasks:services:logger:_:)``. Graceful shutdown stops intake, rejects
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
    /// Everything the pool does; this type is its public face.
    let storage: PoolStorage

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
    public var events: AsyncStream<Event> { storage.eventLog.stream() }

    /// Creates a pool. No worker starts before ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: Worker count, executable, timeouts.
    ///   - tasks: The tasks the workers can run; the workers must build the same registry.
    ///   - services: The methods of this process that the workers' tasks can call.
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
        /// The clock of every timer of the pool, instead of the system's.
        package var clock: (any TimerClock)?
        /// The environment a worker inherits from, instead of this process's.
        package var parentEnvironment: [String: String]?

        package init() {}
    }

    /// Creates a pool with test hooks.
    package init(
        configuration: Configuration, tasks: TaskRegistry, services: ServiceRegistry, logger: Logger,
        metricsFactory: any MetricsFactory, hooks: TestHooks
    ) {
        self.configuration = configuration
        self.tasks = tasks
        var logger = logger
        logger[metadataKey: "parallax.pool"] = "\(configuration.name)"
        self.storage = PoolStorage(
            configuration: configuration, tasks: tasks, services: services, logger: logger,
            metrics: PoolMetrics(pool: configuration.name, factory: metricsFactory), hooks: hooks)
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
        try await storage.run()
    }

    /// Starts a graceful shutdown; ``run()`` returns when it is complete.
    ///
    /// The pool takes no task from the moment this returns, and queued tasks are rejected with a
    /// ``/ParallaxWire/TaskError/Kind/rejected`` error (unless ``Configuration/queuedTasksOnShutdown`` drains
    /// them); running tasks get the configured graceful timeout to finish.
    public func shutdown() {
        storage.shutdown()
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
        try await WorkerPool(configuration: configuration, tasks: tasks, services: services, logger: logger)
            .running(body)
    }

    // MARK: Submitting

    /// Runs a task in a worker and returns its output.
    ///
    /// Cancelling the calling task answers it with a ``/ParallaxWire/TaskError/Kind/cancelled`` error: a queued
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
    ///   over the payload limit, ``/ParallaxWire/TaskError`` when the task fails or the mailbox is full.
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
    /// - Throws: ``SpawnError`` or ``/ParallaxWire/TaskError``, as for
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
        let bytes = try await storage.answer(
            task, kind: .run, timeout: timeout, whenFull: whenFull, retry: retry
        )
        .get()
        return try Self.decodeOutput(Output.self, from: bytes, name: task.name)
    }

}

extension WorkerPool: StoppableService {}

import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

extension WorkerPool {
    /// How a pool runs its workers. Start from a preset and change what you need.
    ///
    /// ```swift
    /// var configuration = WorkerPool.Configuration.cpuBound
    /// configuration.taskTimeout = .seconds(30)
    /// ```
    public struct Configuration: Sendable {
        /// The pool's name: the `pool` dimension of its metrics.
        public var name: String
        /// How many worker processes run at once.
        public var workerCount: Int
        /// The program started as a worker.
        public var executable: WorkerExecutable
        /// The environment the workers start with: by default the parent's; an allowlist or an
        /// exact dictionary keeps secrets from them. See ``WorkerEnvironment``.
        public var environment: WorkerEnvironment
        /// The user and group the workers run as, and whether they may gain privileges; by default
        /// the parent's, unrestricted, as for any child process. See ``WorkerPrivileges``.
        public var privileges: WorkerPrivileges
        /// The largest payload, in bytes, that crosses a worker's channel either way: a task's
        /// encoded input, its encoded output, a chunk of a `map`, a service call or its reply.
        ///
        /// An input over it fails at the call site (`submit`, `go`, `map` throw ``SpawnError`` with
        /// code ``SpawnError/Code/payloadTooLarge``; nothing is sent). An output over it fails the
        /// task with a ``/ParallaxWire/TaskError/Kind/rejected`` error with reason
        /// ``/ParallaxWire/TaskError/Reason/payloadTooLarge`` that
        /// names the size and the limit, and the worker goes on. The worker learns the limit when
        /// it starts; one that sends more anyway breaks the protocol and is replaced. At most
        /// 4 GiB less 10 bytes, what a frame's 32-bit length can count; 256 MiB by default.
        public var maximumPayloadSize: Int

        /// The former name of ``maximumPayloadSize``.
        @available(*, deprecated, renamed: "maximumPayloadSize")
        public var maximumFrameSize: Int {
            get { maximumPayloadSize }
            set { maximumPayloadSize = newValue }
        }

        /// ``maximumPayloadSize`` within what a frame can carry.
        @usableFromInline package var payloadLimit: Int {
            max(0, min(maximumPayloadSize, Frame.maximumPayloadCount))
        }
        /// The time limit of a task that sets none; `nil` for no limit. On expiry the worker is
        /// killed, the task reports ``/ParallaxWire/TaskError/Kind/timedOut`` and a new worker starts.
        public var taskTimeout: Duration?
        /// How many tasks may wait for a worker. Past it a task is refused at once with a
        /// ``/ParallaxWire/TaskError/Kind/rejected`` error with reason ``/ParallaxWire/TaskError/Reason/mailboxFull``
        /// (backpressure), or waits
        /// for room when submitted with ``WorkerPool/WhenFull/wait``.
        public var mailboxLimit: Int
        /// Limits each worker sets on itself before it takes work.
        public var resourceLimits: ResourceLimits
        /// When healthy workers are replaced by fresh ones, between tasks.
        public var recycling: Recycling
        /// How the next task's worker is picked.
        public var dispatch: DispatchStrategy
        /// What the pool does when a worker crashes or cannot start.
        public var supervision: SupervisionStrategy
        /// The delays before restarting a worker that keeps failing: one that could not start,
        /// or that died before it answered a task. A worker that answered tasks before it died is
        /// restarted at once.
        public var restartBackoff: Backoff
        /// How many restarts, across all workers, the pool allows in a period before it gives up.
        public var restartIntensity: RestartIntensity
        /// How long a worker gets to stop on its own before it is killed: after a running task was
        /// cancelled (the worker is asked to cancel it), and after a timeout (the worker gets
        /// SIGTERM).
        public var stopGracePeriod: Duration
        /// How many tasks a worker holds at once: the one it runs, and the ones sent ahead so that
        /// it starts the next without waiting for the parent. A worker runs them one at a time in
        /// order; when it dies, the tasks it had not started go to other workers.
        ///
        /// The default, 1, sends a task only to an idle worker, so a long task never holds up a
        /// short one queued behind it while another worker is free. Raise it for many small tasks,
        /// where the round trip between tasks dominates: throughput grows several times.
        public var pipelineDepth: Int
        /// How long a caller of `submit` may wait for its answer on its own thread, when its task
        /// goes to an idle worker, before it suspends.
        ///
        /// The thread waits in the kernel on the worker's reply pipe, so a quick answer reaches the
        /// caller after two thread wake-ups instead of three, which halves the round trip of a
        /// small task. The wait holds one of the concurrency pool's threads for at most this long.
        /// After a wait that ran out the pool skips the wait for a growing number of calls, and
        /// an answer in time restores it. `.zero` turns it off.
        public var inlineReplyWait: Duration
        /// How much of ``inlineReplyWait`` the caller spends polling the reply pipe before it sleeps
        /// in the kernel.
        ///
        /// An answer that arrives while the caller polls finds its thread running on its core, so
        /// the round trip costs one thread wake-up (the worker's) instead of two; on a virtual
        /// machine a wake-up across cores costs several microseconds. Polling burns the caller's
        /// CPU, for at most this long per call, and happens only when the task went to an idle
        /// worker, when a core is likely to be spare. After an answer that came later than the
        /// polling the pool skips it for a growing number of calls, and an answer while polling
        /// restores it. `.zero` never polls.
        public var inlineReplyPolling: Duration
        /// The deadline of a call from worker code to the parent's services that sets none; `nil`
        /// for none. See
        /// ``ServiceClient/call(_:_:timeout:)-(ServiceMethod<Input,Output>,_,_)``.
        public var serviceCallTimeout: Duration?
        /// What a graceful shutdown does with tasks still waiting for a worker.
        public var queuedTasksOnShutdown: ShutdownPolicy
        /// How long shutdown waits for running tasks before closing the workers' channels.
        public var gracefulShutdownTimeout: Duration
        /// How long shutdown waits for workers to exit after their channel closed before killing them.
        public var forceShutdownTimeout: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - workerCount: How many worker processes run at once; at least 1.
        ///   - executable: The program started as a worker.
        public init(workerCount: Int, executable: WorkerExecutable = .current) {
            precondition(workerCount > 0, "a pool needs at least one worker")
            self.name = "parallax"
            self.workerCount = workerCount
            self.executable = executable
            self.environment = .inherit
            self.privileges = .default
            self.maximumPayloadSize = 256 * 1024 * 1024
            self.taskTimeout = nil
            self.stopGracePeriod = .seconds(1)
            self.pipelineDepth = 1
            self.inlineReplyWait = .microseconds(50)
            self.inlineReplyPolling = .microseconds(20)
            self.dispatch = .leastMailbox
            self.mailboxLimit = 100_000
            self.recycling = .never
            self.resourceLimits = .none
            self.supervision = .restartOnCrash
            self.restartBackoff = .default
            self.restartIntensity = .default
            self.queuedTasksOnShutdown = .reject
            self.serviceCallTimeout = .seconds(30)
            self.gracefulShutdownTimeout = .seconds(10)
            self.forceShutdownTimeout = .seconds(2)
        }

        /// Four workers.
        public static var `default`: Configuration { Configuration(workerCount: 4) }

        /// One worker, for work that must run in order.
        public static var singleWorker: Configuration { Configuration(workerCount: 1) }

        /// One worker per processor this process may run on.
        public static var cpuBound: Configuration { Configuration(workerCount: activeProcessorCount) }

        /// The processors this process may run on (its affinity mask), at least 1.
        public static var activeProcessorCount: Int {
            let count = Int(cpx_active_processor_count())
            if count > 0 { return count }
            return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }
    }
}

public import Parallax

/// How the example server runs.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The port to listen on; 0 picks a free one.
    public var port = 8080
    /// The pool's workers.
    public var pool: WorkerPool.Configuration
    /// How long a regular expression may run before its worker is stopped.
    public var regexTimeout: Duration = .seconds(1)
    /// How long decoding an image may take.
    public var decodeTimeout: Duration = .seconds(5)
    /// How long a blur may take, each stripe.
    public var transformTimeout: Duration = .seconds(10)
    /// The largest request body.
    public var maximumBodySize = 16 << 20

    /// A configuration with `workers` workers started from `executable`, for hostile input: the pool
    /// restarts crashed and stopped workers without giving up.
    public init(
        workers: Int = WorkerPool.Configuration.activeProcessorCount, executable: WorkerExecutable = .current
    ) {
        pool = WorkerPool.Configuration(workerCount: workers, executable: executable)
        pool.name = "server"
        // A request waits for a worker rather than failing while a burst passes; a full mailbox
        // answers 503.
        pool.mailboxLimit = 1_000
        pool.queuedTasksOnShutdown = .drain
        // Crashes and hangs are expected here (hostile input): the pool must not give up on them.
        pool.restartIntensity = RestartIntensity(maximumRestarts: 1_000, period: .seconds(10))
        pool.restartBackoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(200))
        pool.stopGracePeriod = .milliseconds(200)
    }
}

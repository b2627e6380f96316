/// Where the tasks of a ``WaitGroup`` run. The choice is part of the group's type, so the
/// compiler accepts closures only where closures can run and worker tasks only where a worker
/// process runs them.
///
/// - ``InProcessIsolation`` (`.inProcess`): Swift tasks in this process. Closures must be
///   `@Sendable`, so what they capture is a snapshot the compiler checks.
/// - ``ThreadIsolation`` (`.threads`): one dedicated OS thread per running task, for blocking
///   code that must not occupy Swift's cooperative threads.
/// - ``ProcessIsolation`` (`.process(pool)`): warm worker processes of a ``WorkerPool``; a crash
///   fails one slot and nothing else.
public protocol TaskIsolation: Sendable {}

/// Tasks run as Swift tasks in this process.
public struct InProcessIsolation: TaskIsolation {
    /// Creates the isolation.
    public init() {}
}

/// Each running task gets a dedicated OS thread, for blocking code.
public struct ThreadIsolation: TaskIsolation {
    /// How many threads run at once when the group sets no tighter limit.
    public var maximumThreads: Int

    /// Creates the isolation.
    /// - Parameter maximumThreads: How many threads run at once; at least 1.
    public init(maximumThreads: Int = 64) {
        precondition(maximumThreads > 0, "ThreadIsolation needs at least one thread")
        self.maximumThreads = maximumThreads
    }
}

/// Tasks run in the worker processes of a pool.
public struct ProcessIsolation: TaskIsolation {
    /// The pool whose workers run the tasks.
    public let pool: WorkerPool

    /// Creates the isolation.
    /// - Parameter pool: The pool whose workers run the tasks; it must be running for them to start.
    public init(pool: WorkerPool) {
        self.pool = pool
    }
}

extension TaskIsolation where Self == InProcessIsolation {
    /// Swift tasks in this process.
    public static var inProcess: InProcessIsolation { InProcessIsolation() }
}

extension TaskIsolation where Self == ThreadIsolation {
    /// A dedicated OS thread per running task, at most 64 at once.
    public static var threads: ThreadIsolation { ThreadIsolation() }

    /// A dedicated OS thread per running task.
    /// - Parameter maximum: How many threads run at once.
    /// - Returns: The isolation.
    public static func threads(maximum: Int) -> ThreadIsolation { ThreadIsolation(maximumThreads: maximum) }
}

extension TaskIsolation where Self == ProcessIsolation {
    /// Worker processes of `pool`.
    /// - Parameter pool: The pool whose workers run the tasks.
    /// - Returns: The isolation.
    public static func process(_ pool: WorkerPool) -> ProcessIsolation { ProcessIsolation(pool: pool) }
}

import CParallaxSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The worker side: the entry call that turns a copy of your executable into a warm worker.
///
/// A pool starts workers by running an executable again in worker mode, by default the very
/// executable that created the pool. Call ``serveIfWorker(_:bootstrap:)-(TaskRegistry,_)`` first thing in `main`:
/// in the parent it returns at once; in a worker it serves tasks until the parent closes the
/// channel or dies, then exits the process, so it never returns there.
///
/// ```swift
/// @main struct App {
///     static func main() async throws {
///         await Worker.serveIfWorker(tasks)   // in a worker: serves, then exits
///         // ... the parent's code
///     }
/// }
/// ```
///
/// Code that runs before this call runs in every worker too: keep it to what both need.
public enum Worker {
    /// Whether this process was started as a worker by a pool.
    public static var isWorkerProcess: Bool {
        getenv(WorkerLaunch.channelVariable) != nil
    }

    /// Serves tasks when this process is a worker; returns at once otherwise.
    ///
    /// In a worker it runs `bootstrap` once (a failure is reported to the parent and the worker
    /// exits), sends the handshake, then runs one task at a time until the channel closes. The
    /// worker's stdout is made line-buffered so that what tasks print reaches the parent's log
    /// promptly; it never mixes with the protocol, which has descriptors of its own.
    ///
    /// - Parameters:
    ///   - registry: The tasks this worker can run; the same registry as the parent's.
    ///   - bootstrap: Set-up run once per worker process before it takes work, such as opening a
    ///     connection or warming a cache.
    public static func serveIfWorker(
        _ registry: TaskRegistry, bootstrap: (@Sendable () async throws -> Void)? = nil
    ) async {
        await serveIfWorker([registry], bootstrap: bootstrap)
    }

    /// Serves the registry its pool asks for when this process is a worker; returns at once
    /// otherwise. For an executable that runs several pools, each with a registry of its own.
    ///
    /// Each pool tells its workers which registry it was built with; the worker serves the one of
    /// `registries` that matches. A worker that has none of them fails its start with a message
    /// that names what it has, and the pool stops with ``WorkerPoolError/Code/registryMismatch``
    /// instead of restarting it.
    ///
    /// ```swift
    /// let imaging = TaskRegistry(Resize.self, Thumbnail.self)
    /// let reports = TaskRegistry(MonthlyReport.self)
    /// await Worker.serveIfWorker([imaging, reports])
    /// let imagePool = WorkerPool(configuration: .cpuBound, tasks: imaging)
    /// let reportPool = WorkerPool(configuration: .singleWorker, tasks: reports)
    /// ```
    ///
    /// - Parameters:
    ///   - registries: Every registry a pool of this executable is built with.
    ///   - bootstrap: Set-up run once per worker process before it takes work.
    public static func serveIfWorker(
        _ registries: [TaskRegistry], bootstrap: (@Sendable () async throws -> Void)? = nil
    ) async {
        guard isWorkerProcess else { return }
        let wanted = getenv(WorkerLaunch.registryVariable).flatMap { UInt64(String(cString: $0), radix: 16) }
        guard let wanted else {
            // A parent that does not say which registry: the first, checked by the handshake.
            await WorkerServer(registry: registries.first ?? TaskRegistry()).serve(bootstrap: bootstrap)
            exit(WorkerExit.done.rawValue)
        }
        guard let registry = registries.first(where: { $0.fingerprint == wanted }) else {
            WorkerServer(registry: registries.first ?? TaskRegistry()).refuse(
                Self.mismatch(registries, wanted))
        }
        await WorkerServer(registry: registry).serve(bootstrap: bootstrap)
        exit(WorkerExit.done.rawValue)
    }

    /// Why a worker that serves `registries` cannot serve a pool whose registry is `wanted`.
    static func mismatch(_ registries: [TaskRegistry], _ wanted: UInt64) -> TaskError {
        TaskError.registryMismatch(served: registries.map(\.names), wanted: wanted, workerPID: getpid())
    }
}

import ArgumentParser
import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// One host of `parallax demo --hosts`: a pool of workers and a queue node in one service group,
/// stopped gracefully by SIGTERM or SIGINT.
struct Host: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the demo's queue on PostgreSQL as one host (started by `demo --hosts`).",
        shouldDisplay: false)

    /// The variable through which a host names itself to its workers.
    static let nameVariable = "PARALLAX_DEMO_HOST"

    @Option(help: "The PostgreSQL server's address.")
    var address = "127.0.0.1"

    @Option(help: "The PostgreSQL server's port.")
    var port: Int

    @Option(help: "The database.")
    var database: String

    @Option(help: "The host's name, as its workers report it.")
    var name: String

    @Option(help: "Worker processes in the host's pool.")
    var workers = 2

    @Option(help: "The queue the host serves.")
    var queue = "demo"

    @Flag(help: "Use the default lease (15 s) instead of the demo's short one (3 s).")
    var defaultLease = false

    @Option(help: "The least level of the host's log lines, on standard error.")
    var logLevel = "error"

    func run() async throws {
        setenv(Self.nameVariable, name, 1)  // the workers inherit it
        var logger = Logger(label: "parallax.host.\(name)")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .error
        var configuration = HostsDemo.nodeConfiguration
        if defaultLease {
            configuration = QueueNode.Configuration()
            configuration.migratesSchema = false
        }
        configuration.queues = [queue]
        configuration.commitEffects(of: ChaosWork.self)
        let pool = WorkerPool(
            configuration: WorkerPool.Configuration(workerCount: workers), tasks: ClusterTasks.registry,
            logger: logger)
        let node = QueueNode(
            postgres: HostsDemo.postgres(address: address, port: port, database: database),
            tasks: ClusterTasks.registry,
            consumingInto: pool, configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: pool), .init(service: node)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Says which host and worker ran it, after working for a while.
struct WhereDidIRun: WorkerTask {
    var milliseconds: Int

    func run(in context: WorkerContext) async throws -> String {
        try await Task.sleep(for: .milliseconds(milliseconds))
        let host = getenv(Host.nameVariable).map { String(cString: $0) } ?? "?"
        return "\(host) (worker pid \(getpid()))"
    }
}

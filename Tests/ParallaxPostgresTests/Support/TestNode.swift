import CoreMetrics
import Logging
import Parallax
import ParallaxPostgres
import ParallaxTestTasks
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Runs test bodies against real nodes: each with a real pool of the test worker executable,
/// over a private PostgreSQL database.
enum TestNode {
    /// Silent unless `PARALLAX_TEST_LOG` is set, then on stderr at debug level.
    static let logger: Logger = {
        guard getenv("PARALLAX_TEST_LOG") != nil else {
            return Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }
        }
        var logger = Logger(label: "parallax.test") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .trace
        return logger
    }()

    /// The test worker executable, built beside the test bundle.
    static var workerPath: String {
        var directory = WorkerLaunch.currentExecutablePath
        while let last = directory.last, last != "/" { directory.removeLast() }
        return directory + "ParallaxTestWorker"
    }

    /// A configuration that polls often, so that a test does not wait for a poll.
    static func configuration(_ configure: (inout QueueNode.Configuration) -> Void = { _ in })
        -> QueueNode.Configuration
    {
        var configuration = QueueNode.Configuration()
        configuration.queues = ["q"]
        configuration.pollInterval = .milliseconds(50)
        configuration.resultPollInterval = .milliseconds(100)
        configuration.reaperInterval = .milliseconds(200)
        configure(&configuration)
        return configuration
    }

    /// Runs `body` with a running node over `postgres` that consumes into a pool of `workers`
    /// workers (none: a producer only).
    static func with<Result>(
        postgres: PostgresClient.Configuration, workers: Int? = 2,
        configure: (inout QueueNode.Configuration) -> Void = { _ in },
        _ body: (QueueNode, WorkerPool?) async throws -> Result
    ) async throws -> Result {
        let configuration = configuration(configure)
        guard let workers else {
            let node = QueueNode(
                postgres: postgres, tasks: TestTasks.registry, configuration: configuration, logger: logger)
            return try await node.running { try await body($0, nil) }
        }
        var poolConfiguration = WorkerPool.Configuration(workerCount: workers, executable: .path(workerPath))
        poolConfiguration.forceShutdownTimeout = .seconds(2)
        let pool = WorkerPool(
            configuration: poolConfiguration, tasks: TestTasks.registry, services: ServiceRegistry(),
            logger: logger,
            metricsFactory: NOOPMetricsHandler.instance)
        return try await pool.running { pool in
            let node = QueueNode(
                postgres: postgres, tasks: TestTasks.registry, consumingInto: pool,
                configuration: configuration,
                logger: logger)
            return try await node.running { try await body($0, pool) }
        }
    }
}

import ArgumentParser
import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// `parallax-cluster bench`: the queue on a private PostgreSQL server, beside its floor measured
/// in the same run: `pgbench` running the same claim and completion statements, with the same
/// batch size, on one connection, as the node's one consumer loop does.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Measure the queue: throughput against a pgbench floor, idle latency, recovery after kill -9.")

    @Flag(help: "Fewer tasks and samples, for CI.")
    var quick = false

    @Option(help: "Tasks claimed at most per statement (and per pgbench transaction).")
    var batch = 256

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func run() async throws {
        guard LocalPostgres.isInstalled else {
            print(
                "bench needs PostgreSQL 15's programs in \(LocalPostgres.binaries): \(LocalPostgres.installHint)"
            )
            throw ExitCode(1)
        }
        let logger = {
            var logger = Logger(label: "parallax.cluster.bench")
            logger.logLevel = .error
            return logger
        }()
        let server = try LocalPostgres.start()
        defer { server.stop() }
        let tasks = quick ? 5_000 : 50_000
        print(
            "parallax-cluster bench: PostgreSQL 15 on loopback, fsync and synchronous_commit on; \(tasks) no-op tasks, batches of \(batch)"
        )

        #if DEBUG
            print("   (a debug build: the figures say little; measure with `swift build -c release`)")
        #endif
        var figures: [(String, Double)] = []
        let floor = try await BenchFloor(server: server, tasks: tasks, batch: batch, logger: logger).run()
        figures.append(("pg_floor_tasks_per_s", floor))
        let throughput = try await throughput(server: server, tasks: tasks, logger: logger)
        figures.append(("queue_tasks_per_s", throughput))
        figures.append(("queue_vs_floor", throughput / floor))
        let latency = try await idleLatency(server: server, samples: quick ? 50 : 300, logger: logger)
        figures.append(("enqueue_to_start_ms_p50", latency.p50))
        figures.append(("enqueue_to_start_ms_p99", latency.p99))
        let recovery = try await BenchRecovery(server: server, logger: logger).run()
        figures.append(("recovery_after_kill9_s", recovery))

        print("")
        print("| figure | value |")
        print("| --- | --- |")
        for (name, value) in figures { print("| \(name) | \(Self.format(value)) |") }
        if let json {
            let body = figures.map { "  \"\($0.0)\": \(Self.format($0.1))" }.joined(separator: ",\n")
            try BenchFile.write("{\n\(body)\n}\n", to: json)
        }
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String((value * 1000).rounded() / 1000)
    }

    /// Tasks per second, end to end: a producer has sealed a group of no-op tasks; a node with a
    /// pool of two workers starts, claims them in batches, runs each in a worker and stores its
    /// result through the fence; the producer has every result.
    private func throughput(server: LocalPostgres, tasks: Int, logger: Logger) async throws -> Double {
        try await server.createDatabase("throughput", logger: logger)
        let postgres = server.configuration(database: "throughput")
        var configuration = QueueNode.Configuration()
        configuration.queues = ["bench"]
        configuration.concurrency = batch
        configuration.resultPollInterval = .milliseconds(20)
        let producer = QueueNode(
            postgres: postgres, tasks: ClusterTasks.registry, configuration: configuration, logger: logger)
        return try await producer.running { producer in
            let group = try await producer.group(of: Int.self, queue: "bench")
            for _ in 0..<tasks { try group.go(NoOp()) }
            try await group.submitAll()
            print("   \(tasks) tasks queued; a node with 2 workers starts and drains them")
            return try await WorkerPool.withPool(
                configuration: WorkerPool.Configuration(workerCount: 2), tasks: ClusterTasks.registry,
                logger: logger
            ) { pool in
                _ = try await pool.submit(NoOp())  // workers warm
                var consumerConfiguration = configuration
                consumerConfiguration.migratesSchema = false
                let consumer = QueueNode(
                    postgres: postgres, tasks: ClusterTasks.registry, consumingInto: pool,
                    configuration: consumerConfiguration, logger: logger)
                return try await consumer.running { _ in
                    let start = ContinuousClock.now
                    let results = try await group.wait()
                    let elapsed = ContinuousClock.now - start
                    guard results.allSatisfy(\.ok) else { throw BenchFailure("a no-op task failed") }
                    let rate = Double(tasks) / elapsed.seconds
                    print(
                        "   queue: \(Int(rate)) tasks/s end to end (\(ClusterBench.format(elapsed.seconds)) s)"
                    )
                    return rate
                }
            }
        }
    }

    /// Milliseconds from a producer's `go` to the task's start in a worker, on an idle node that
    /// learns of new tasks from a notification.
    private func idleLatency(server: LocalPostgres, samples: Int, logger: Logger) async throws -> (
        p50: Double, p99: Double
    ) {
        try await server.createDatabase("latency", logger: logger)
        let postgres = server.configuration(database: "latency")
        var configuration = QueueNode.Configuration()
        configuration.queues = ["bench"]
        configuration.resultPollInterval = .milliseconds(20)
        configuration.pollInterval = .seconds(5)  // a notification, not a poll, must wake the node
        return try await WorkerPool.withPool(
            configuration: WorkerPool.Configuration(workerCount: 2), tasks: ClusterTasks.registry,
            logger: logger
        ) { pool in
            let node = QueueNode(
                postgres: postgres, tasks: ClusterTasks.registry, consumingInto: pool,
                configuration: configuration,
                logger: logger)
            return try await node.running { node in
                var milliseconds: [Double] = []
                for _ in 0..<(samples + 5) {
                    let group = try await node.group(of: UInt64.self, queue: "bench")
                    let sent = BootClock.nanoseconds
                    try group.go(StartedAt())
                    guard let started = try await group.wait().first?.value else {
                        throw BenchFailure("a latency probe failed")
                    }
                    milliseconds.append(Double(started &- sent) / 1e6)
                }
                let sorted = milliseconds.dropFirst(5).sorted()  // the first few warm the connections
                let p50 = sorted[sorted.count / 2]
                let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
                print(
                    "   idle enqueue to start: p50 \(ClusterBench.format(p50)) ms, p99 \(ClusterBench.format(p99)) ms"
                )
                return (p50, p99)
            }
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Recovery after `kill -9`, with the default lease (15 s, grace 2 s, reaper every second): a
/// host process runs two long tasks; it is killed with SIGKILL; the figure is the time until
/// both run again on another node.
struct BenchRecovery {
    var server: LocalPostgres
    var logger: Logger

    func run() async throws -> Double {
        try await server.createDatabase("recovery", logger: logger)
        let postgres = server.configuration(database: "recovery")
        var configuration = QueueNode.Configuration()
        configuration.queues = ["recovery"]
        return try await WorkerPool.withPool(
            configuration: WorkerPool.Configuration(workerCount: 2), tasks: ClusterTasks.registry,
            logger: logger
        ) { pool in
            // The survivor claims nothing until the victim holds both tasks.
            let survivor = QueueNode(
                postgres: postgres, tasks: ClusterTasks.registry, configuration: configuration, logger: logger
            )
            return try await survivor.running { producer in
                let group = try await producer.group(of: String.self, queue: "recovery")
                for _ in 0..<2 { try group.go(WhereDidIRun(milliseconds: 1_000)) }
                try await group.submitAll()
                let victim = try HostProcess(
                    executable: WorkerLaunch.currentExecutablePath,
                    arguments: [
                        "host", "--port", "\(server.port)", "--database", "recovery", "--name", "victim",
                        "--queue", "recovery", "--default-lease",
                    ])
                defer {
                    victim.signal(SIGKILL)
                    _ = victim.waitForExit()
                }
                try await waitUntil(
                    postgres: postgres, "SELECT count(*)::int8 FROM parallax.task WHERE state = 1", is: 2)
                victim.signal(SIGKILL)
                let killed = ContinuousClock.now
                var consumerConfiguration = configuration
                consumerConfiguration.migratesSchema = false
                let consumer = QueueNode(
                    postgres: postgres, tasks: ClusterTasks.registry, consumingInto: pool,
                    configuration: consumerConfiguration, logger: logger)
                return try await consumer.running { consumer in
                    let consumerID = try await waitForID(consumer)
                    try await waitUntil(
                        postgres: postgres,
                        "SELECT count(*)::int8 FROM parallax.task WHERE state = 1 AND node_id = \(consumerID)",
                        is: 2)
                    let recovery = (ContinuousClock.now - killed).seconds
                    print(
                        "   recovery after kill -9 (default lease 15 s): both tasks running again after \(ClusterBench.format(recovery)) s"
                    )
                    _ = try await group.wait()
                    return recovery
                }
            }
        }
    }

    private func waitForID(_ node: QueueNode) async throws -> Int64 {
        for _ in 0..<1_000 {
            if let id = node.nodeID { return id }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchFailure("the node did not register")
    }

    /// Polls the database every 20 ms (the state belongs to other processes) for up to a minute.
    private func waitUntil(postgres: PostgresClient.Configuration, _ sql: String, is expected: Int64)
        async throws
    {
        try await server.withClient(database: postgres.database ?? "", logger: logger) { client in
            for _ in 0..<3_000 {
                let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                for try await count in rows.decode(Int64.self) where count == expected { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw BenchFailure("timed out waiting for: \(sql)")
        }
    }
}

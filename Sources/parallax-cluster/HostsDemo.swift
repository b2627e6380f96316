import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// `parallax demo --hosts N`: a queue on a private PostgreSQL server, N hosts (processes of this
/// executable, each with its own pool), one of them killed with SIGKILL mid-run, and every task
/// finished elsewhere.
struct HostsDemo {
    var hosts: Int
    var tasksPerHost = 6
    var taskMilliseconds = 400

    /// A short lease, so that the demo's recovery takes seconds: the defaults (a 15 s lease)
    /// recover in about 18.
    static var nodeConfiguration: QueueNode.Configuration {
        var configuration = QueueNode.Configuration()
        configuration.queues = ["demo"]
        configuration.leaseDuration = .seconds(3)
        configuration.renewalInterval = .milliseconds(500)
        configuration.leaseMargin = .seconds(1)
        configuration.reaperGrace = .milliseconds(500)
        configuration.reaperInterval = .milliseconds(250)
        configuration.pollInterval = .milliseconds(100)
        configuration.resultPollInterval = .milliseconds(100)
        configuration.statementTimeout = .seconds(5)
        configuration.migratesSchema = false
        return configuration
    }

    static func postgres(address: String = "127.0.0.1", port: Int, database: String)
        -> PostgresClient.Configuration
    {
        PostgresClient.Configuration(
            host: address, port: port, username: "parallax", password: nil, database: database,
            tls: .disable)
    }

    func run() async throws {
        guard LocalPostgres.isInstalled else {
            print(
                "demo --hosts needs PostgreSQL 15's programs in \(LocalPostgres.binaries): \(LocalPostgres.installHint)"
            )
            throw DemoError.postgresMissing
        }
        let logger = {
            var logger = Logger(label: "parallax.demo")
            logger.logLevel = .error
            return logger
        }()
        print("Across hosts: a queue on a private PostgreSQL server, \(hosts) hosts of 2 workers each")
        let server = try LocalPostgres.start()
        defer { server.stop() }
        try await server.createDatabase("demo", logger: logger)
        _ = try await server.withClient(database: "demo", logger: logger) { client in
            try await QueueSchema.migrate(client, logger: logger)
        }
        print("   PostgreSQL 15 on 127.0.0.1:\(server.port) (initdb in \(server.directory))")

        var processes: [HostProcess] = []
        var reaped: Set<pid_t> = []
        defer {
            for process in processes where !reaped.contains(process.pid) {
                process.signal(SIGKILL)
                _ = process.waitForExit()
            }
        }
        for index in 1...hosts {
            let process = try HostProcess(
                executable: WorkerLaunch.currentExecutablePath,
                arguments: [
                    "host", "--port", "\(server.port)", "--database", "demo", "--name", "host-\(index)",
                ])
            processes.append(process)
            print("   host-\(index): pid \(process.pid)")
        }

        let producer = QueueNode(
            postgres: Self.postgres(port: server.port, database: "demo"), tasks: ClusterTasks.registry,
            configuration: Self.nodeConfiguration, logger: logger)
        try await producer.running { node in
            try await produce(on: node, processes: processes, server: server, logger: logger)
        }

        // host-1 was killed; the others stop gracefully on SIGTERM.
        _ = processes[0].waitForExit()
        reaped.insert(processes[0].pid)
        var clean = true
        for process in processes.dropFirst() {
            process.signal(SIGTERM)
            clean = process.waitForExit() && clean
            reaped.insert(process.pid)
        }
        print("   the other hosts stopped gracefully on SIGTERM: \(clean ? "yes" : "no")\n")
        if !clean { throw DemoError.hostDidNotStopCleanly }
    }

    private func produce(on node: QueueNode, processes: [HostProcess], server: LocalPostgres, logger: Logger)
        async throws
    {
        let count = hosts * tasksPerHost
        let group = try await node.group(of: String.self, queue: "demo")
        for _ in 0..<count { try group.go(WhereDidIRun(milliseconds: taskMilliseconds)) }
        print("   \(count) tasks of \(taskMilliseconds) ms sent to the queue\n")

        let clock = ContinuousClock()
        let start = clock.now
        var killedAt: ContinuousClock.Instant?
        var lastAt = start
        var perHost: [String: Int] = [:]
        var seen = 0
        for try await (slot, result) in group.results() {
            seen += 1
            lastAt = clock.now
            switch result.result {
            case .success(let place):
                let host = String(place.prefix { $0 != " " })
                perHost[host, default: 0] += 1
                print("   slot \(slot < 10 ? " " : "")\(slot) ran on \(place)")
            case .failure(let error):
                print("   slot \(slot) failed: \(error)")
            }
            if seen == hosts && killedAt == nil, let victim = processes.first {
                // The whole host: its parent at once; its workers see their parent die and end.
                victim.signal(SIGKILL)
                killedAt = clock.now
                print("   -- host-1 (pid \(victim.pid)) killed with SIGKILL while running tasks --")
            }
        }
        let rerun = try await server.withClient(database: "demo", logger: logger) { client in
            let rows = try await client.query(
                """
                SELECT count(DISTINCT a.task_id)::int8 FROM parallax.attempt a
                 WHERE a.ended_by = 5
                """, logger: logger)
            var count: Int64 = 0
            for try await value in rows.decode(Int64.self) { count = value }
            return count
        }
        let hostsLine = perHost.keys.sorted().map { "\($0) \(perHost[$0]!)" }.joined(separator: ", ")
        print("\n   results: \(seen) of \(count), every slot once; tasks per host: \(hostsLine)")
        if let killedAt {
            let recovery = lastAt - killedAt
            let seconds = Double(recovery.components.seconds) + Double(recovery.components.attoseconds) / 1e18
            print(
                "   \(rerun) task(s) were running on host-1 when it died: taken back once its lease had "
                    + "expired and run elsewhere; the last result came \((seconds * 10).rounded() / 10) s after the kill"
            )
        }
        guard seen == count, perHost["host-1", default: 0] < count else { throw DemoError.resultsMissing }
    }
}

enum DemoError: Error, CustomStringConvertible {
    case postgresMissing, resultsMissing, hostDidNotStopCleanly

    var description: String {
        switch self {
        case .postgresMissing: "PostgreSQL is not installed"
        case .resultsMissing: "some results are missing"
        case .hostDidNotStopCleanly: "a host did not stop cleanly"
        }
    }
}

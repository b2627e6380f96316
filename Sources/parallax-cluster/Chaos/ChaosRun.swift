import FoundationEssentials
import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// One chaos run: the server, the hosts, the load and the scenarios, then the audit.
struct ChaosRun {
    var quick: Bool
    var seed: UInt64

    private var logger: Logger {
        var logger = Logger(label: "parallax.chaos")
        logger.logLevel = .error
        return logger
    }

    func run() async throws -> ChaosReport {
        let logger = logger
        print("chaos --postgres: a private PostgreSQL server, 3 hosts of 2 workers, a producer, faults")
        var template = Array("\(temporaryDirectory())/parallax-chaos-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ChaosFailure("mkdtemp failed") }
        let logs = String(cString: made)
        // Kept when the run fails: the hosts' logs and the workers' attempt logs.
        var keepLogs = true
        defer {
            if keepLogs {
                print("   the hosts' and workers' logs are kept in \(logs)")
            } else {
                try? FileManager.default.removeItem(atPath: logs)
            }
        }
        setenv(AttemptLog.variable, logs, 1)  // the hosts and their workers inherit it

        let network: ChaosNetwork?
        switch ChaosNetwork.make(hosts: 3, log: "\(logs)/network.log") {
        case .success(let made):
            network = made
            print(
                "   each host in a network namespace of its own, reaching the server at \(made.serverAddress)"
            )
        case .failure(let reason):
            network = nil
            print("   the hosts share this machine's loopback (\(reason)): the partition scenario is skipped")
        }
        defer { network?.remove() }
        let server = try LocalPostgres.start(alsoListeningOn: network.map { ($0.serverAddress, $0.clients) })
        defer { server.stop() }
        try await server.createDatabase("chaos", logger: logger)
        _ = try await server.withClient(database: "chaos", logger: logger) { client in
            try await QueueSchema.migrate(client, logger: logger)
            try await client.query(
                """
                CREATE TABLE chaos_effect (
                    task_id bigint NOT NULL, group_id uuid NOT NULL, slot integer NOT NULL, value bigint NOT NULL)
                """, logger: logger)
        }
        let hosts = (1...3).map {
            ChaosHost(
                name: "host-\($0)", launcher: network?.launcher(host: $0) ?? [],
                address: network?.serverAddress ?? "127.0.0.1", port: server.port, database: "chaos",
                workers: 2, output: "\(logs)/host-\($0).log")
        }
        for host in hosts { try host.start() }
        defer { for host in hosts { host.kill() } }
        let load = ChaosLoad(
            seed: seed, slots: 100, longMilliseconds: quick ? 2_000 : 8_000, poisonPerMille: quick ? 5 : 2)
        var configuration = HostsDemo.nodeConfiguration
        configuration.queues = ["chaos"]
        let producer = QueueNode(
            postgres: server.configuration(database: "chaos"), tasks: ClusterTasks.registry,
            configuration: configuration, logger: logger)
        let started = ContinuousClock.now
        var report = try await producer.running { node in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await load.run(on: node) }
                let report: ChaosReport
                do {
                    report = try await server.withClient(database: "chaos", logger: logger) { client in
                        var report = ChaosReport()
                        let scenarios = ChaosScenarios(
                            server: server, logs: logs, network: network, hosts: hosts,
                            control: ChaosControl(client: client, logger: logger),
                            producer: node, quick: quick, seed: seed)
                        try await scenarios.run(into: &report)
                        return report
                    }
                } catch {
                    load.stop()
                    throw error
                }
                load.stop()
                print("   faults done; waiting for the groups in flight")
                try await group.waitForAll()
                return report
            }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        var cleanStops = 0
        for host in hosts where await host.stop() { cleanStops += 1 }
        try await audit(
            server: server, logs: logs, load: load, elapsed: elapsed, cleanStops: cleanStops, into: &report)
        keepLogs = !report.passed
        return report
    }

    private func audit(
        server: LocalPostgres, logs: String, load: ChaosLoad, elapsed: Double, cleanStops: Int,
        into report: inout ChaosReport
    ) async throws {
        let logger = logger
        let tally = load.tally
        let counts = try await server.withClient(database: "chaos", logger: logger) { client in
            let control = ChaosControl(client: client, logger: logger)
            return [
                try await control.number("SELECT count(*) FROM parallax.task"),
                try await control.number("SELECT count(*) FROM parallax.result"),
                try await control.number(
                    "SELECT count(*) FROM (SELECT task_id FROM chaos_effect GROUP BY task_id HAVING count(*) > 1) d"
                ),
                try await control.number("SELECT count(*) FROM chaos_effect"),
                try await control.number("SELECT count(*) FROM parallax.result WHERE outcome = 0"),
                try await control.number("SELECT count(*) FROM parallax.attempt WHERE ended_by = 7"),
                try await control.number("SELECT count(*) FROM parallax.attempt"),
                try await control.number(
                    """
                    SELECT coalesce(min(n), 0) FROM (
                        SELECT count(*) AS n FROM parallax.result
                         WHERE finished_at > (SELECT min(finished_at) FROM parallax.result) + interval '1 second'
                           AND finished_at < (SELECT max(finished_at) FROM parallax.result) - interval '1 second'
                         GROUP BY date_trunc('second', finished_at)) buckets
                    """),
                try await control.number(
                    """
                    SELECT coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY n), 0) FROM (
                        SELECT count(*) AS n FROM parallax.result GROUP BY date_trunc('second', finished_at)) buckets
                    """),
                // Ended as lost although their hosts did not die as often as their attempts allow.
                try await control.number(
                    """
                    SELECT count(*) FROM parallax.result r
                     WHERE r.outcome = 5
                       AND (SELECT count(*) FROM parallax.attempt a WHERE a.task_id = r.task_id AND a.ended_by = 5) < 3
                    """),
            ]
        }
        let (left, results, duplicateEffects, effects, values, stale, attempts, slowest, median) = (
            counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7], counts[8]
        )
        let attemptLog = try AttemptAudit(directory: logs)
        // A worker of a host that just stopped may still be on its way out.
        var leftovers = Self.processes(inheriting: logs)
        for _ in 0..<100 where leftovers > 0 {
            try await Task.sleep(for: .milliseconds(50))
            leftovers = Self.processes(inheriting: logs)
        }

        let expectedResults = Int64(tally.tasks)
        // Every task the load and the re-attached producer sent has a result, and none is left.
        report.check("lost", "tasks left without a result (lost)", Double(left), holds: left == 0)
        report.figure("results", "results recorded", Double(results))
        _ = expectedResults
        report.check(
            "undelivered", "slots the producer never got", Double(tally.tasks - tally.delivered),
            holds: tally.delivered == tally.tasks)
        report.check(
            "duplicate_deliveries", "slots delivered twice", Double(tally.duplicateDeliveries),
            holds: tally.duplicateDeliveries == 0)
        report.check(
            "duplicate_effects", "tasks with two effects", Double(duplicateEffects),
            holds: duplicateEffects == 0)
        report.check(
            "effects_missing", "values recorded without their effect", Double(values - effects),
            holds: values == effects)
        report.check(
            "concurrent_executions", "tasks with two attempts running at once",
            Double(attemptLog.overlappingTasks),
            holds: attemptLog.overlappingTasks == 0)
        report.check("wrong_values", "wrong values", Double(tally.wrongValues), holds: tally.wrongValues == 0)
        // A task whose hosts died under it as often as its attempts allow ends as lost, by its
        // policy (three attempts here): repeated kills of one host can do that to a long task.
        let lostByPolicy = tally.unexpectedFailures["hostLost", default: 0]
        let lostEarly = counts[9]
        report.check(
            "lost_before_attempts_ran_out", "tasks ended as host lost with attempts left", Double(lostEarly),
            holds: lostEarly == 0)
        report.figure(
            "host_lost_by_policy", "tasks ended as host lost, their hosts dead 3 times", Double(lostByPolicy))
        let unexpected = tally.unexpectedFailures.filter { $0.key != "hostLost" }.values.reduce(0, +)
        report.check(
            "unexpected_failures", "healthy tasks that failed", Double(unexpected), holds: unexpected == 0)
        // A poison task holds its host for the seconds its crash report takes; when its hosts die
        // under it three times, it ends as lost by policy instead (checked above, from the log).
        report.check(
            "poison_exhausted",
            "poison tasks ended as attempts exhausted, or lost by policy (of \(tally.poisonSent))",
            Double(tally.poisonExhausted + tally.poisonLostByPolicy),
            holds: tally.poisonExhausted + tally.poisonLostByPolicy == tally.poisonSent)
        report.check("leftover_processes", "processes left behind", Double(leftovers), holds: leftovers == 0)
        report.check(
            "hosts_stopped_cleanly", "hosts that stopped cleanly on SIGTERM (of 3)", Double(cleanStops),
            holds: cleanStops == 3)

        report.figure("tasks", "tasks run", Double(tally.tasks))
        report.figure("attempts_logged", "attempts in the database's log", Double(attempts))
        report.figure(
            "attempts_started", "attempts started, from the workers' logs", Double(attemptLog.attempts))
        report.figure("stale_rejected", "stale completions rejected in the whole run", Double(stale))
        report.figure(
            "largest_overlap_ms", "largest overlap of two attempts (ms)",
            attemptLog.largestOverlapMilliseconds)
        report.figure("median_tasks_per_s", "tasks finished per second, median", Double(median))
        report.figure("lowest_tasks_per_s", "tasks finished per second, lowest (the dip)", Double(slowest))
        report.figure("elapsed_s", "length of the run (s)", elapsed)
        if !tally.unexpectedFailures.isEmpty {
            print("   unexpected failures by kind: \(tally.unexpectedFailures)")
        }
    }

    /// Processes of this executable other than this one whose environment names the run's log
    /// directory: hosts or workers that outlived the run. (The database server restarted during
    /// the run has the variable too, and is not counted.)
    static func processes(inheriting logs: String) -> Int {
        let marker = Array("\(AttemptLog.variable)=\(logs)".utf8)
        let executable = WorkerLaunch.currentExecutablePath
        var count = 0
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            guard
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == executable
            else { continue }
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else {
                continue
            }
            let variables = environment.split(separator: 0)
            if variables.contains(where: { Array($0) == marker }) { count += 1 }
        }
        return count
    }
}

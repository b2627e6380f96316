import FoundationEssentials
import Parallax
import ParallaxPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// The faults of the chaos run, one after another under the steady load, each with what it
/// measures.
struct ChaosScenarios {
    let server: LocalPostgres
    let hosts: [ChaosHost]
    let control: ChaosControl
    let producer: QueueNode
    let quick: Bool
    let seed: UInt64
    /// The hosts' lease (the demo's short one).
    let lease = 3.0

    func say(_ line: String) { print("   \(line)") }

    func run(into report: inout ChaosReport) async throws {
        try await baseline()
        try await crashRecovery(into: &report)
        try await repeatedKills(into: &report)
        try await postgresRestart(down: 1, into: &report, key: "short")
        try await postgresRestart(down: lease + 2, into: &report, key: "long")
        try await backendKills(into: &report)
        try await frozenHost(into: &report)
        try await producerCrash(into: &report)
    }

    /// Lets the load run for a few seconds before the first fault.
    private func baseline() async throws {
        say("baseline: \(quick ? 6 : 15) s of load without faults")
        try await Task.sleep(for: .seconds(quick ? 6 : 15))
    }

    /// The live node of a host process.
    private func node(of host: ChaosHost) async throws -> Int64 {
        guard let pid = host.pid else { throw ChaosFailure("\(host.name) is not running") }
        for _ in 0..<200 {
            let id = try await control.number(
                "SELECT coalesce(max(id), 0) FROM parallax.node WHERE pid = \(pid) AND state = 0")
            if id > 0 { return id }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChaosFailure("\(host.name) never registered")
    }

    /// C1: the whole of host-1 killed with SIGKILL while it runs tasks; the time until every task it
    /// held runs elsewhere or has finished; the host restarted.
    private func crashRecovery(into report: inout ChaosReport) async throws {
        let host = hosts[0]
        let victim = try await node(of: host)
        var held: [Int64] = []
        for _ in 0..<200 {
            held = try await control.numbers(
                "SELECT id FROM parallax.task WHERE node_id = \(victim) AND state = 1")
            if !held.isEmpty { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        host.kill()
        say("C1 crash_recovery: \(host.name) killed with SIGKILL holding \(held.count) task(s)")
        let list = held.map(String.init).joined(separator: ",")
        let recovery =
            held.isEmpty
            ? 0
            : try await control.until(
                """
                SELECT count(*) FROM parallax.task
                 WHERE id IN (\(list)) AND NOT (state = 1 AND node_id <> \(victim))
                """, is: 0)
        say(
            "   every task it held runs elsewhere or has finished \(ClusterBench.format(recovery)) s after the kill"
        )
        report.figure("recovery_after_kill9_s", "recovery after kill -9, lease \(Int(lease)) s (s)", recovery)
        try host.start()
    }

    /// C2: host-2 killed again and again, restarted a second after each kill.
    private func repeatedKills(into report: inout ChaosReport) async throws {
        let host = hosts[1]
        let kills = quick ? 3 : 8
        for _ in 0..<kills {
            try await Task.sleep(for: .seconds(quick ? 2 : 5))
            _ = try await node(of: host)
            host.kill()
            try await Task.sleep(for: .seconds(1))
            try host.start()
        }
        say("C2 repeated_kills: \(host.name) killed \(kills) times with SIGKILL, restarted after each")
        report.figure("repeated_kills", "kills of one host in a row", Double(kills))
    }

    /// C3: PostgreSQL stopped as by a crash, down for `down` seconds, started again; the time from
    /// its restart to the next result.
    private func postgresRestart(down: Double, into report: inout ChaosReport, key: String) async throws {
        try await Task.sleep(for: .seconds(2))
        try server.crash()
        try await Task.sleep(for: .milliseconds(Int(down * 1_000)))
        try server.restart()
        let up = ContinuousClock.now
        let before = try await control.number("SELECT count(*) FROM parallax.result")
        try await control.until(
            "SELECT CASE WHEN count(*) > \(before) THEN 1 ELSE 0 END FROM parallax.result", is: 1)
        let back = (ContinuousClock.now - up).seconds
        say(
            "C3 postgres_restart (\(key)): down \(ClusterBench.format(down)) s (lease \(Int(lease)) s); "
                + "results again \(ClusterBench.format(back)) s after it was back")
        report.figure("postgres_restart_\(key)_back_s", "first result after a \(key) crash restart (s)", back)
    }

    /// C4: every backend of the database terminated five times a second.
    private func backendKills(into report: inout ChaosReport) async throws {
        let rounds = quick ? 15 : 100
        var terminated: Int64 = 0
        for _ in 0..<rounds {
            terminated += try await control.number(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                """)
            try await Task.sleep(for: .milliseconds(200))
        }
        say("C4 pg_backend_kill: \(terminated) backends terminated in \(rounds) rounds, 5 a second")
        report.figure("backends_terminated", "backends terminated under load", Double(terminated))
    }

    /// C6: host-3's parent frozen (SIGSTOP) for longer than its lease while it runs probe tasks of
    /// 300 ms, then thawed: the probes finish while it is frozen, its workers end themselves, the
    /// probes run again elsewhere, and the completions it sends once thawed are rejected.
    private func frozenHost(into report: inout ChaosReport) async throws {
        let host = hosts[2]
        guard let pid = host.pid else { throw ChaosFailure("\(host.name) is not running") }
        let staleBefore = try await control.number("SELECT count(*) FROM parallax.attempt WHERE ended_by = 7")
        // Rounds of probes until one runs on the host (the others may take them all).
        var probes: [(number: Int, group: RemoteWaitGroup<Int64>)] = []
        var landed = false
        for round in 0..<20 where !landed {
            let number = ChaosProducer.group + 1 + round
            let group = try await producer.group(of: Int64.self, queue: "chaos")
            for slot in 0..<12 { try group.go(ChaosWork(group: number, slot: slot, milliseconds: 300)) }
            probes.append((number, group))
            for _ in 0..<60 where !landed {
                landed =
                    try await control.number(
                        """
                        SELECT count(*) FROM parallax.task t JOIN parallax.node n ON n.id = t.node_id
                         WHERE t.group_id = '\(group.id)' AND n.pid = \(pid) AND t.state = 1
                        """) > 0
                if !landed { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        guard landed else { throw ChaosFailure("no probe task ran on \(host.name)") }
        host.freeze()
        try await Task.sleep(for: .milliseconds(Int((lease + 3) * 1_000)))
        host.thaw()
        var right = 0
        for probe in probes {
            for (slot, result) in try await probe.group.wait().enumerated()
            where result.value == ChaosWork.expected(group: probe.number, slot: slot) {
                right += 1
            }
        }
        try await Task.sleep(for: .seconds(2))
        let stale =
            try await control.number("SELECT count(*) FROM parallax.attempt WHERE ended_by = 7") - staleBefore
        say(
            "C6 frozen_parent: \(host.name) stopped for \(ClusterBench.format(lease + 3)) s while it ran a probe task; "
                + "\(stale) late completion(s) rejected by the fence; \(right) of \(probes.count * 12) probes right"
        )
        report.check(
            "stale_rejected_frozen_host", "stale completions rejected after the frozen host thawed",
            Double(stale), holds: stale > 0)
        report.check(
            "frozen_host_probes", "probe tasks of the frozen-host scenario right (of \(probes.count * 12))",
            Double(right), holds: right == probes.count * 12)
    }

    /// C7: a producer killed with SIGKILL while it waits, run again: it attaches to its group by
    /// key, adds nothing, and gets every result once.
    private func producerCrash(into report: inout ChaosReport) async throws {
        let tasks = quick ? 300 : 2_000
        let key = "chaos-producer-\(seed)"
        let out = temporaryDirectory() + "/parallax-chaos-producer-\(getpid()).txt"
        defer { unlink(out) }
        let arguments = [
            "chaos-producer", "--port", "\(server.port)", "--database", "chaos", "--key", key, "--tasks",
            "\(tasks)",
            "--out", out,
        ]
        let first = try HostProcess(executable: WorkerLaunch.currentExecutablePath, arguments: arguments)
        try await control.until(
            """
            SELECT CASE WHEN count(*) >= \(tasks / 3) THEN 1 ELSE 0 END FROM parallax.result r
              JOIN parallax.task_group g ON g.id = r.group_id WHERE g.idem_key = '\(key)'
            """, is: 1)
        first.signal(SIGKILL)
        _ = first.waitForExit()
        let again = try HostProcess(executable: WorkerLaunch.currentExecutablePath, arguments: arguments)
        let finished = again.waitForExit()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        var slots = Set<Int>()
        var right = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let slot = Int(fields[0]) else { continue }
            slots.insert(slot)
            if Int64(fields[1]) == ChaosWork.expected(group: ChaosProducer.group, slot: slot) { right += 1 }
        }
        let added = try await control.number(
            "SELECT count(*) FROM parallax.result r JOIN parallax.task_group g ON g.id = r.group_id WHERE g.idem_key = '\(key)'"
        )
        say(
            "C7 producer_crash: producer killed mid-wait, run again: \(right) of \(tasks) results right, "
                + "\(added) tasks in its group")
        report.check(
            "producer_reattach_results", "results after a producer crash and re-attach (of \(tasks))",
            Double(right), holds: finished && right == tasks && slots.count == tasks)
        report.check(
            "producer_reattach_tasks", "tasks in the re-attached group (of \(tasks))", Double(added),
            holds: added == Int64(tasks))
    }
}

/// The directory for temporary files.
func temporaryDirectory() -> String {
    getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
}

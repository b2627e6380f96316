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
    /// The directory of the workers' attempt logs.
    let logs: String
    /// The hosts' namespaces, when the machine allows them; host N (from 1) lives in the N-th.
    let network: ChaosNetwork?
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
        try await partition(into: &report)
        try await frozenHost(into: &report)
        try await producerCrash(into: &report)
        try await orphanedGroup(into: &report)
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

    /// C5: host-1 cut off from the database by a network partition (the router of its namespace
    /// drops every packet) for longer than its lease while it runs probe tasks of 300 ms, then
    /// healed: its workers end themselves before its lease lapses, the probes run again
    /// elsewhere, the completions it sends once healed are rejected, and it registers again.
    private func partition(into report: inout ChaosReport) async throws {
        guard let network else {
            say("C5 partition: skipped (no network namespaces on this machine)")
            report.figure("partition_ran", "partition scenario run (1) or skipped (0)", 0)
            return
        }
        let host = hosts[0]
        let victim = try await node(of: host)
        let staleBefore = try await staleCompletions()
        let probes = try await probes(landingOn: host, numbered: ChaosProducer.group + 100)
        try network.partition(host: 1)
        try await Task.sleep(for: .milliseconds(Int((lease + 3) * 1_000)))
        try network.heal(host: 1)
        let healed = ContinuousClock.now
        try await control.until(
            "SELECT count(*) FROM parallax.node WHERE pid = \(host.pid ?? 0) AND state = 0 AND id > \(victim)",
            is: 1)
        let back = (ContinuousClock.now - healed).seconds
        let right = try await rightResults(of: probes)
        let stale = try await staleCompletions(above: staleBefore)
        let total = probes.count * 12
        say(
            "C5 partition: \(host.name) cut off for \(ClusterBench.format(lease + 3)) s while it ran a probe task; "
                + "\(stale) late completion(s) rejected by the fence; \(right) of \(total) probes right; "
                + "serving again \(ClusterBench.format(back)) s after the heal"
        )
        report.figure("partition_ran", "partition scenario run (1) or skipped (0)", 1)
        report.figure("partition_back_s", "partitioned host serving again after the heal (s)", back)
        report.check(
            "stale_rejected_partition", "stale completions rejected after the partition healed",
            Double(stale),
            holds: stale > 0)
        report.check(
            "partition_probes", "probe tasks of the partition scenario right (of \(total))", Double(right),
            holds: right == total)
    }

    /// C6: host-3's parent frozen (SIGSTOP) for longer than its lease while it runs probe tasks of
    /// 300 ms, then thawed: the probes finish while it is frozen, its workers end themselves, the
    /// probes run again elsewhere, and the completions it sends once thawed are rejected.
    private func frozenHost(into report: inout ChaosReport) async throws {
        let host = hosts[2]
        let staleBefore = try await staleCompletions()
        let probes = try await probes(landingOn: host, numbered: ChaosProducer.group + 1)
        host.freeze()
        try await Task.sleep(for: .milliseconds(Int((lease + 3) * 1_000)))
        host.thaw()
        let right = try await rightResults(of: probes)
        let stale = try await staleCompletions(above: staleBefore)
        let total = probes.count * 12
        say(
            "C6 frozen_parent: \(host.name) stopped for \(ClusterBench.format(lease + 3)) s while it ran a probe task; "
                + "\(stale) late completion(s) rejected by the fence; \(right) of \(total) probes right"
        )
        report.check(
            "stale_rejected_frozen_host", "stale completions rejected after the frozen host thawed",
            Double(stale), holds: stale > 0)
        report.check(
            "frozen_host_probes", "probe tasks of the frozen-host scenario right (of \(total))",
            Double(right), holds: right == total)
    }

    private func staleCompletions() async throws -> Int64 {
        try await control.number("SELECT count(*) FROM parallax.attempt WHERE ended_by = 7")
    }

    /// Groups of 12 probe tasks of 300 ms, sent in rounds until one of them has started on a
    /// worker of `host` (its attempt log says so: claimed is not enough, the task may wait for a
    /// worker); the groups are numbered from `first`.
    private func probes(landingOn host: ChaosHost, numbered first: Int) async throws -> [(
        number: Int, group: RemoteWaitGroup<Int64>
    )] {
        guard host.pid != nil else { throw ChaosFailure("\(host.name) is not running") }
        var probes: [(number: Int, group: RemoteWaitGroup<Int64>)] = []
        for round in 0..<20 {
            let number = first + round
            let group = try await producer.group(of: Int64.self, queue: "chaos")
            for slot in 0..<12 { try group.go(ChaosWork(group: number, slot: slot, milliseconds: 300)) }
            probes.append((number, group))
            for _ in 0..<150 {
                if host.workers().contains(where: { started(probe: number, by: $0) }) { return probes }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        throw ChaosFailure("no probe task ran on \(host.name)")
    }

    /// Whether the worker `pid` logged the start of a task of probe group `number`.
    private func started(probe number: Int, by pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "\(logs)/attempts-\(pid).log", encoding: .utf8) else {
            return false
        }
        return text.contains("S \(number)/")
    }

    /// The count of stale completions once it exceeds `before`, or after 10 s.
    private func staleCompletions(above before: Int64) async throws -> Int64 {
        var stale = try await staleCompletions()
        let start = ContinuousClock.now
        while stale <= before, ContinuousClock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(100))
            stale = try await staleCompletions()
        }
        return stale - before
    }

    /// How many of the probes' results are right.
    private func rightResults(of probes: [(number: Int, group: RemoteWaitGroup<Int64>)]) async throws -> Int {
        var right = 0
        for probe in probes {
            for (slot, result) in try await probe.group.wait().enumerated()
            where result.value == ChaosWork.expected(group: probe.number, slot: slot) {
                right += 1
            }
        }
        return right
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
        do {
            try await control.until(
                """
                SELECT CASE WHEN count(*) >= \(tasks / 3) THEN 1 ELSE 0 END FROM parallax.result r
                  JOIN parallax.task_group g ON g.id = r.group_id WHERE g.idem_key = '\(key)'
                """, is: 1)
        } catch {
            first.signal(SIGKILL)
            _ = first.waitForExit()
            throw error
        }
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

extension ChaosScenarios {
    /// C7, never run again: a producer whose group is bound to it (not detached) killed with
    /// SIGKILL mid-wait; once its lease and the reaper's grace are over, its group is cancelled:
    /// its tasks that had not started finish as cancelled, its running ones are killed, and no
    /// task of it is left in the queue.
    func orphanedGroup(into report: inout ChaosReport) async throws {
        let tasks = quick ? 600 : 1_200
        let key = "chaos-orphan-\(seed)"
        let arguments = [
            "chaos-producer", "--port", "\(server.port)", "--database", "chaos", "--key", key, "--tasks",
            "\(tasks)", "--out", "/dev/null", "--number", "\(ChaosProducer.group + 50)", "--milliseconds",
            "100", "--bound",
        ]
        let group = "(SELECT id FROM parallax.task_group WHERE idem_key = '\(key)')"
        let producer = try HostProcess(executable: WorkerLaunch.currentExecutablePath, arguments: arguments)
        do {
            try await control.until(
                """
                SELECT CASE WHEN count(*) >= \(tasks / 10) THEN 1 ELSE 0 END FROM parallax.result
                 WHERE group_id = \(group)
                """, is: 1)
        } catch {
            producer.signal(SIGKILL)
            _ = producer.waitForExit()
            throw error
        }
        producer.signal(SIGKILL)
        _ = producer.waitForExit()
        let killed = ContinuousClock.now
        try await control.until("SELECT count(*) FROM parallax.task WHERE group_id = \(group)", is: 0)
        let seconds = (ContinuousClock.now - killed).seconds
        let results = try await control.number(
            "SELECT count(*) FROM parallax.result WHERE group_id = \(group)")
        let cancelled = try await control.number(
            "SELECT count(*) FROM parallax.result WHERE group_id = \(group) AND outcome = \(4)")
        let added = try await control.number(
            "SELECT coalesce(max(added), 0) FROM parallax.task_group WHERE idem_key = '\(key)'")
        say(
            "C7 producer_lost: producer of a bound group killed mid-wait and never run again: "
                + "the group was over \(ClusterBench.format(seconds)) s after the kill (lease \(Int(lease)) s), "
                + "\(cancelled) of its \(added) tasks cancelled, \(results) results")
        report.figure("orphan_cancelled_s", "a lost producer's bound group over, after the kill (s)", seconds)
        report.check(
            "orphan_group_cancelled", "tasks of a lost producer's bound group cancelled, every task ended",
            Double(cancelled), holds: cancelled > 0 && results == added && added == Int64(tasks))
    }
}

/// The directory for temporary files.
func temporaryDirectory() -> String {
    getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
}

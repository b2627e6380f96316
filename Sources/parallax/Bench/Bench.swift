import ArgumentParser
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Measures this library against the raw pipe floor and its peers, in one process run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure this library against the pipe floor, Python and Node in one run.",
        discussion: """
            Build with -c release for meaningful figures. Round trips are medians of interleaved \
            rounds; every ratio compares figures measured in this run. The peers run from \
            Benchmarks/peers; a missing interpreter gives a null figure.
            """)

    @Flag(help: "A short run, for CI smoke.")
    var quick = false

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    @Option(help: "Draw the comparison as an SVG chart to this file.")
    var plot: String?

    @Option(
        name: .customLong("only"),
        help:
            "Run only these groups (repeatable): roundtrip, throughput, map, payload, start, scale, speedup, inprocess, memory, peers."
    )
    var groups: [String] = []

    private func runs(_ group: String) -> Bool { groups.isEmpty || groups.contains(group) }

    func run() async throws {
        let measure = Measurements(quick: quick)
        var report = BenchReport(
            machine: (WorkerPool.Configuration.activeProcessorCount, Self.operatingSystem()))
        #if DEBUG
            report.notes.append("debug build: build with -c release for meaningful figures")
        #endif

        if runs("roundtrip") {
            progress("round trips against the pipe floor")
            let (floor, library) = try await measure.roundTrips()
            report["pipe_roundtrip_us_p50"] = floor.median
            report["process_roundtrip_us_p50"] = library.median
            report["process_roundtrip_us_p99"] = library.percentile(0.99)
        }
        if runs("throughput") {
            progress("tasks in flight")
            let throughput = try await measure.throughput()
            report["process_throughput_tasks_per_s"] = throughput.library
            report["pipelined_floor_tasks_per_s"] = throughput.floor
        }
        if runs("map") {
            progress("map over trivial items")
            report["map_items_per_s"] = try await measure.map()
        }
        if runs("payload") {
            progress("1 MiB payload")
            let payload = try await measure.payload()
            report["payload_1mib_roundtrip_ms"] = payload.library
            report["payload_1mib_gb_per_s_each_way"] = Double(1 << 20) / (payload.library / 2 / 1_000) / 1e9
            report["payload_1mib_floor_gb_per_s_each_way"] =
                Double(1 << 20) / (payload.floor / 2 / 1_000) / 1e9
        }
        if runs("start") {
            progress("pool start, spawn and restart")
            report["pool_start_ms"] = try await measure.poolStart()
            report["worker_spawn_ms"] = try measure.workerSpawn()
            report["restart_ms_p50"] = try await measure.restart()
        }
        if runs("scale") {
            progress("pools of 1, 4, 16 and 64 workers")
            for cost in try await measure.scale(sizes: [1, 4, 16, 64]) {
                report["pool_ready_ms_\(cost.size)"] = cost.readyMilliseconds
                report["roundtrip_us_p50_\(cost.size)_workers"] = cost.roundTrip
                if cost.size == 64 { report["parent_fds_per_worker"] = cost.descriptorsPerWorker }
            }
        }
        if runs("speedup") {
            for granularity in SpeedUp.Granularity.all {
                progress("speed-up of CPU-bound tasks of \(granularity.name) over serial")
                let result = try await measure.speedUp(granularity)
                for mode in SpeedUp.Mode.allCases where mode != .serial {
                    report["speedup_\(mode.rawValue)_\(granularity.name)"] = result.speedUps[mode]
                }
                // What the parent spends per task is the same whatever the task's length; the
                // shortest tasks have the most of them.
                if granularity.name == "100us" {
                    for mode in [SpeedUp.Mode.waitgroup, .submit, .map] {
                        report["parent_cpu_us_per_task_\(mode.rawValue)"] = result.parentCPU[mode]
                        report["parent_switches_per_task_\(mode.rawValue)"] = result.parentSwitches[mode]
                    }
                    let floor = await measure.resumeFloor(tasks: result.tasks, every: granularity.duration)
                    report["parent_cpu_us_per_task_resumed"] = floor.cpuMicroseconds
                    report["parent_switches_per_task_resumed"] = floor.switches
                }
            }
        }
        if runs("inprocess") {
            progress("in-process WaitGroup")
            let inProcess = await measure.inProcess()
            report["waitgroup_task_us"] = inProcess.waitGroup
            report["taskgroup_task_us"] = inProcess.taskGroup
        }
        if runs("memory") {
            progress("idle worker memory and leak check")
            report["worker_idle_rss_mib"] = try await measure.idleWorkerRSS()
            let leaks = try await measure.leakCheck()
            report["leak_check_tasks"] = Double(leaks.tasks)
            report["parent_rss_drift_mib"] = leaks.rssDrift
            report["parent_fd_growth"] = leaks.fdGrowth
        }
        guard runs("peers") else {
            print("")
            report.printTable()
            if let json { try writeFile(json, report.json()) }
            if let plot { try writeFile(plot, BenchPlot(report: report).svg()) }
            return
        }
        progress("peers")
        let peers = Peers(directory: Peers.locate(), quick: quick)
        if let python = peers.run("python3", "python_ppe.py") {
            for (key, value) in python where BenchReport.keys.contains(key) { report[key] = value }
        } else {
            report.notes.append(
                "python3 or Benchmarks/peers/python_ppe.py not found: Python figures are null")
        }
        if let node = peers.run("node", "node_worker_threads.js") {
            for (key, value) in node where BenchReport.keys.contains(key) { report[key] = value }
        } else {
            report.notes.append(
                "node or Benchmarks/peers/node_worker_threads.js not found: Node figures are null")
        }

        print("")
        report.printTable()
        if let json { try writeFile(json, report.json()) }
        if let plot { try writeFile(plot, BenchPlot(report: report).svg()) }
    }

    private static func operatingSystem() -> String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
    }
}

/// The figures of one `parallax bench` run, in the schema of PERFORMANCE.md.
struct BenchReport {
    /// Every metric key in output order. Keys may be added, never renamed.
    static let keys = [
        "pipe_roundtrip_us_p50", "process_roundtrip_us_p50", "process_roundtrip_us_p99",
        "process_throughput_tasks_per_s", "map_items_per_s", "payload_1mib_roundtrip_ms", "pool_start_ms",
        "worker_spawn_ms", "restart_ms_p50", "waitgroup_task_us", "taskgroup_task_us", "worker_idle_rss_mib",
        "python_ppe_roundtrip_us_p50", "python_ppe_throughput_tasks_per_s", "python_ppe_map_items_per_s",
        "python_ppe_pool_start_ms", "python_idle_rss_mib", "node_worker_threads_roundtrip_us_p50",
        "payload_1mib_gb_per_s_each_way", "leak_check_tasks", "parent_rss_drift_mib", "parent_fd_growth",
        "pool_ready_ms_1", "pool_ready_ms_4", "pool_ready_ms_16", "pool_ready_ms_64", "parent_fds_per_worker",
        "roundtrip_us_p50_1_workers", "roundtrip_us_p50_4_workers", "roundtrip_us_p50_16_workers",
        "roundtrip_us_p50_64_workers",
        "speedup_taskgroup_100us", "speedup_waitgroup_100us", "speedup_submit_100us", "speedup_map_100us",
        "speedup_taskgroup_1ms", "speedup_waitgroup_1ms", "speedup_submit_1ms", "speedup_map_1ms",
        "speedup_taskgroup_10ms", "speedup_waitgroup_10ms", "speedup_submit_10ms", "speedup_map_10ms",
        "python_ppe_speedup_100us", "python_ppe_speedup_1ms", "payload_1mib_floor_gb_per_s_each_way",
        "pipelined_floor_tasks_per_s", "parent_cpu_us_per_task_waitgroup", "parent_cpu_us_per_task_submit",
        "parent_cpu_us_per_task_map", "parent_switches_per_task_waitgroup", "parent_switches_per_task_submit",
        "parent_switches_per_task_map", "parent_cpu_us_per_task_resumed", "parent_switches_per_task_resumed",
    ]

    var metrics: [String: Double] = [:]
    var notes: [String] = []
    var machine: (cores: Int, os: String)

    subscript(key: String) -> Double? {
        get { metrics[key] }
        set { metrics[key] = newValue }
    }

    /// One line of the comparison table: a figure of this library against its floor or peer.
    struct Row {
        var figure: String
        var ours: String
        var against: String
        var ratio: Double?
        var ratioText: String
        var target: String
        var met: Bool?
    }

    var rows: [Row] {
        var rows: [Row] = []
        func value(_ key: String) -> Double? { metrics[key] }
        func row(
            _ figure: String, _ key: String, _ unit: String, against: String, _ reference: Double?,
            ratio: (Double, Double) -> Double, target: String, met: ((Double) -> Bool)?
        ) {
            let ours = value(key)
            let computed = ours.flatMap { ours in reference.map { ratio(ours, $0) } }
            rows.append(
                Row(
                    figure: figure, ours: ours.map { "\(format($0)) \(unit)" } ?? "n/a",
                    against: reference.map { "\(against) \(format($0)) \(unit)" } ?? "\(against) n/a",
                    ratio: computed, ratioText: computed.map { "\(fixed($0, digits: 2))x" } ?? "n/a",
                    target: target,
                    met: met.flatMap { met in computed.map(met) }))
        }
        row(
            "round trip p50", "process_roundtrip_us_p50", "µs", against: "pipe floor",
            value("pipe_roundtrip_us_p50"),
            ratio: { $0 / $1 }, target: "≤ 2x floor", met: { $0 <= 2 })
        row(
            "round trip p50", "process_roundtrip_us_p50", "µs", against: "Python PPE",
            value("python_ppe_roundtrip_us_p50"), ratio: { $1 / $0 }, target: "≥ 10x faster",
            met: { $0 >= 10 })
        row(
            "tasks in flight, 2 workers, 16 ahead", "process_throughput_tasks_per_s", "/s",
            against: "Python PPE",
            value("python_ppe_throughput_tasks_per_s"), ratio: { $0 / $1 }, target: "≥ 30x", met: { $0 >= 30 }
        )
        row(
            "tasks in flight, 2 workers, 16 ahead", "process_throughput_tasks_per_s", "/s",
            against: "pipelined pings (floor)", value("pipelined_floor_tasks_per_s"), ratio: { $0 / $1 },
            target: "≥ 0.5x floor", met: { $0 >= 0.5 })
        row(
            "map over trivial items", "map_items_per_s", "/s", against: "Python map(chunksize=256)",
            value("python_ppe_map_items_per_s"), ratio: { $0 / $1 }, target: "≥ 2x", met: { $0 >= 2 })
        row(
            "1 MiB each way", "payload_1mib_gb_per_s_each_way", "GB/s", against: "raw 1 MiB echo",
            value("payload_1mib_floor_gb_per_s_each_way"), ratio: { $0 / $1 }, target: "≥ 0.8x floor",
            met: { $0 >= 0.8 })
        row(
            "pool of 4 ready", "pool_start_ms", "ms", against: "Python fork pool",
            value("python_ppe_pool_start_ms"),
            ratio: { $1 / $0 }, target: "faster (> 1x)", met: { $0 > 1 })
        row(
            "crash → replacement ready", "restart_ms_p50", "ms", against: "worker spawn",
            value("worker_spawn_ms"),
            ratio: { $0 / $1 }, target: "≤ 3x spawn", met: { $0 <= 3 })
        row(
            "in-process WaitGroup task", "waitgroup_task_us", "µs", against: "withTaskGroup child",
            value("taskgroup_task_us"), ratio: { $0 / $1 }, target: "≤ 1.2x", met: { $0 <= 1.2 })
        row(
            "idle worker RSS", "worker_idle_rss_mib", "MiB", against: "idle Python",
            value("python_idle_rss_mib"),
            ratio: { $0 / $1 }, target: "≤ 1x", met: { $0 <= 1 })
        row(
            "parent RSS drift", "parent_rss_drift_mib", "MiB", against: "limit", 5, ratio: { $0 / $1 },
            target: "≤ 5 MiB", met: { $0 <= 1 })
        row(
            "parent fd growth", "parent_fd_growth", "fds", against: "limit", 1, ratio: { $0 / $1 },
            target: "0",
            met: { $0 <= 0 })
        row(
            "round trip p50, 64 workers", "roundtrip_us_p50_64_workers", "µs", against: "4 workers",
            value("roundtrip_us_p50_4_workers"), ratio: { $0 / $1 }, target: "≤ 1.2x", met: { $0 <= 1.2 })
        row(
            "pool of 64 ready", "pool_ready_ms_64", "ms", against: "16 × pool of 4",
            value("pool_ready_ms_4").map { $0 * 16 },
            ratio: { $0 / $1 }, target: "≤ 1.2x (linear)", met: { $0 <= 1.2 })
        row(
            "parent descriptors per worker", "parent_fds_per_worker", "fds", against: "target", 3,
            ratio: { $0 / $1 }, target: "≤ 3", met: { $0 <= 1 })
        // Speed-up of CPU-bound tasks over serial, against the in-process limit of the same run.
        for (granularity, label, minimum) in [
            ("100us", "100 µs", 0.9), ("1ms", "1 ms", 0.95), ("10ms", "10 ms", nil),
        ] {
            for (api, name) in [("waitgroup", "WaitGroup"), ("submit", "concurrent submit"), ("map", "map")] {
                row(
                    "speed-up, \(label) tasks, \(name)", "speedup_\(api)_\(granularity)", "x",
                    against: "withTaskGroup", value("speedup_taskgroup_\(granularity)"), ratio: { $0 / $1 },
                    target: minimum.map { "≥ \(fixed($0, digits: 2))x" } ?? "(orientation)",
                    met: minimum.map { minimum in { $0 >= minimum } })
            }
        }
        // Where the 100 µs speed-ups go: the parent's CPU per task is taken from the cores the
        // workers need. The last row is the floor under concurrent submit: Swift tasks resumed
        // from another thread at the rate the answers come, with no pool at all.
        for (api, name) in [
            ("waitgroup", "WaitGroup"), ("submit", "concurrent submit"), ("map", "map"),
            ("resumed", "task resumed from a thread (floor of submit)"),
        ] {
            let cpu = value("parent_cpu_us_per_task_\(api)")
            let switches = value("parent_switches_per_task_\(api)")
            rows.append(
                Row(
                    figure: "parent CPU per 100 µs task, \(name)",
                    ours: cpu.map { "\(format($0)) µs" } ?? "n/a",
                    against: switches.map { "\(fixed($0, digits: 2)) context switches" } ?? "n/a", ratio: nil,
                    ratioText: "", target: "(orientation)", met: nil))
        }
        for (granularity, label) in [("100us", "100 µs"), ("1ms", "1 ms")] {
            row(
                "speed-up, \(label) tasks, Python PPE over its serial", "python_ppe_speedup_\(granularity)",
                "x",
                against: "withTaskGroup", value("speedup_taskgroup_\(granularity)"), ratio: { $0 / $1 },
                target: "(orientation)", met: nil)
        }
        row(
            "round trip p50", "process_roundtrip_us_p50", "µs", against: "Node worker_threads",
            value("node_worker_threads_roundtrip_us_p50"), ratio: { $1 / $0 }, target: "(orientation)",
            met: nil)
        return rows
    }

    func printTable() {
        let header = ["figure", "this library", "against", "ratio", "target", ""]
        let lines = rows.map { row in
            [
                row.figure, row.ours, row.against, row.ratioText, row.target,
                row.met.map { $0 ? "met" : "NOT MET" } ?? "",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + lines).map { $0[column].count }.max() ?? 0
        }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
        print(render(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for line in lines { print(render(line)) }
        if !notes.isEmpty {
            print("")
            for note in notes { print("note: \(note)") }
        }
    }

    func json() -> String {
        var lines: [String] = []
        for key in Self.keys {
            lines.append("    \"\(key)\": \(metrics[key].map { jsonNumber($0) } ?? "null")")
        }
        let notesJSON = notes.map { "\"\(jsonEscaped($0))\"" }.joined(separator: ", ")
        return """
            {
              "schema": 1,
              "machine": { "cores": \(machine.cores), "os": "\(jsonEscaped(machine.os))" },
              "metrics": {
            \(lines.joined(separator: ",\n"))
              },
              "notes": [\(notesJSON)]
            }

            """
    }

    private func jsonNumber(_ value: Double) -> String {
        value.isFinite ? fixed(value, digits: 3) : "null"
    }
}

/// A number for a person: no decimals for large values, two for small ones.
func format(_ value: Double) -> String {
    switch abs(value) {
    case 1_000...: fixed(value, digits: 0)
    case 10...: fixed(value, digits: 1)
    default: fixed(value, digits: 2)
    }
}

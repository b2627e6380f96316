/// Draws the comparison of a bench report as an SVG bar chart: one panel per figure, this
/// library beside its floor or peer, bars scaled within the panel, units labelled.
struct BenchPlot {
    let report: BenchReport

    struct Panel {
        var title: String
        var unit: String
        var better: String
        var bars: [(label: String, value: Double?, ours: Bool)]
    }

    var panels: [Panel] {
        func value(_ key: String) -> Double? { report[key] }
        return [
            Panel(
                title: "Small task round trip, p50", unit: "µs", better: "lower is better",
                bars: [
                    ("swift-parallax", value("process_roundtrip_us_p50"), true),
                    ("raw pipe floor", value("pipe_roundtrip_us_p50"), false),
                    ("Node worker_threads", value("node_worker_threads_roundtrip_us_p50"), false),
                    ("Python ProcessPoolExecutor", value("python_ppe_roundtrip_us_p50"), false),
                ]),
            Panel(
                title: "Small tasks in flight, 2 workers, 16 sent ahead", unit: "tasks/s",
                better: "higher is better",
                bars: [
                    ("swift-parallax", value("process_throughput_tasks_per_s"), true),
                    ("Python ProcessPoolExecutor", value("python_ppe_throughput_tasks_per_s"), false),
                ]),
            Panel(
                title: "Map over trivial items, chunks of 256", unit: "items/s", better: "higher is better",
                bars: [
                    ("swift-parallax", value("map_items_per_s"), true),
                    ("Python map(chunksize=256)", value("python_ppe_map_items_per_s"), false),
                ]),
            Panel(
                title: "1 MiB payload, each way", unit: "GB/s", better: "higher is better",
                bars: [
                    ("swift-parallax", value("payload_1mib_gb_per_s_each_way"), true),
                    ("raw 1 MiB echo (floor)", value("payload_1mib_floor_gb_per_s_each_way"), false),
                ]),
            Panel(
                title: "Pool of 4 workers ready", unit: "ms", better: "lower is better",
                bars: [
                    ("swift-parallax", value("pool_start_ms"), true),
                    ("Python (fork)", value("python_ppe_pool_start_ms"), false),
                ]),
            Panel(
                title: "Crash to replacement ready", unit: "ms", better: "lower is better",
                bars: [
                    ("swift-parallax restart", value("restart_ms_p50"), true),
                    ("spawn of the executable", value("worker_spawn_ms"), false),
                ]),
            Panel(
                title: "Per-task overhead in process", unit: "µs", better: "lower is better",
                bars: [
                    ("WaitGroup", value("waitgroup_task_us"), true),
                    ("withTaskGroup child", value("taskgroup_task_us"), false),
                ]),
            Panel(
                title: "Idle worker memory (RSS)", unit: "MiB", better: "lower is better",
                bars: [
                    ("swift-parallax worker", value("worker_idle_rss_mib"), true),
                    ("idle Python", value("python_idle_rss_mib"), false),
                ]),
        ]
    }

    func svg() -> String {
        let width = 760
        let barHeight = 22
        let labelWidth = 220
        let chartWidth = width - labelWidth - 150
        var y = 40
        var body = ""
        for panel in panels {
            body += text(x: 16, y: y, panel.title, size: 15, weight: "bold")
            body += text(
                x: width - 16, y: y, "\(panel.unit), \(panel.better)", size: 12, anchor: "end", fill: "#666")
            y += 12
            let maximum = panel.bars.compactMap(\.value).max() ?? 1
            for bar in panel.bars {
                y += barHeight + 6
                body += text(x: labelWidth - 8, y: y - 6, bar.label, size: 12, anchor: "end")
                guard let value = bar.value else {
                    body += text(x: labelWidth + 4, y: y - 6, "not measured", size: 12, fill: "#999")
                    continue
                }
                let length = max(2, Int(Double(chartWidth) * value / maximum))
                let color = bar.ours ? "#e4572e" : "#4a6fa5"
                body +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y - barHeight)\" width=\"\(length)\" height=\"\(barHeight)\" "
                    + "fill=\"\(color)\" rx=\"3\"/>\n"
                body += text(x: labelWidth + length + 6, y: y - 6, "\(format(value)) \(panel.unit)", size: 12)
            }
            y += 34
        }
        let footer = "parallax bench · \(report.machine.cores) cores · \(report.machine.os)"
        body += text(x: 16, y: y, footer, size: 11, fill: "#666")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(y + 16)" \
            viewBox="0 0 \(width) \(y + 16)" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            \(body)</svg>

            """
    }

    private func text(
        x: Int, y: Int, _ content: String, size: Int, weight: String = "normal", anchor: String = "start",
        fill: String = "#222"
    ) -> String {
        let escaped = content.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;")
        return "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" font-weight=\"\(weight)\" "
            + "text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(escaped)</text>\n"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}

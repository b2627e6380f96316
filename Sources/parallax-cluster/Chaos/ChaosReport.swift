/// What the chaos run found: the invariants it checks, each with its value and whether it holds,
/// and the figures it measures.
struct ChaosReport {
    struct Check {
        var key: String
        var label: String
        var value: Double
        var holds: Bool
    }

    var checks: [Check] = []
    var figures: [(key: String, label: String, value: Double)] = []
    var log: [String] = []

    var passed: Bool { checks.allSatisfy(\.holds) }

    mutating func check(_ key: String, _ label: String, _ value: Double, holds: Bool) {
        checks.append(Check(key: key, label: label, value: value, holds: holds))
    }

    mutating func figure(_ key: String, _ label: String, _ value: Double) {
        figures.append((key, label, value))
    }

    var text: String {
        var lines = ["", "| invariant | value | holds |", "| --- | --- | --- |"]
        for check in checks {
            lines.append(
                "| \(check.label) | \(ClusterBench.format(check.value)) | \(check.holds ? "yes" : "NO") |")
        }
        lines += ["", "| figure | value |", "| --- | --- |"]
        for figure in figures { lines.append("| \(figure.label) | \(ClusterBench.format(figure.value)) |") }
        lines.append("")
        lines.append(passed ? "chaos --postgres: passed" : "chaos --postgres: FAILED")
        return lines.joined(separator: "\n")
    }

    var json: String {
        var fields = checks.map { "  \"\($0.key)\": \(ClusterBench.format($0.value))" }
        fields += figures.map { "  \"\($0.key)\": \(ClusterBench.format($0.value))" }
        fields.append("  \"passed\": \(passed)")
        return "{\n" + fields.joined(separator: ",\n") + "\n}\n"
    }
}

extension String {
    func write(to path: String) throws { try BenchFile.write(self, to: path) }
}

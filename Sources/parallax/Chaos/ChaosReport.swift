/// What a chaos run did and found, and whether it passed.
struct ChaosReport {
    let plan: ChaosPlan
    let workers: Int
    let killsPerSecond: Double

    var seconds = 0.0
    var kills = 0
    var restarts = 0
    var finalWorkers = 0
    var outcomes = ChaosLedger.Snapshot(outcomesPerTask: [])
    /// Tasks without an outcome after every submission returned.
    var lost = 0
    /// Tasks with more than one outcome.
    var duplicated = 0
    /// Tasks without an outcome when the deadline passed.
    var hung = 0
    /// The parent's open descriptors and what they refer to, before the pool and after it stopped.
    var descriptorsBefore: [Int32: String] = [:]
    var descriptorsAfter: [Int32: String] = [:]
    var residentMiBBefore = 0.0
    var residentMiBAfter = 0.0
    var leftoverProcesses: [Int32] = []

    /// The most the parent's resident memory may grow over the run.
    static let residentDriftLimitMiB = 5.0

    init(plan: ChaosPlan, workers: Int, killsPerSecond: Double) {
        self.plan = plan
        self.workers = workers
        self.killsPerSecond = killsPerSecond
    }

    mutating func record(_ snapshot: ChaosLedger.Snapshot, finished: Bool) {
        outcomes = snapshot
        let missing = snapshot.outcomesPerTask.count { $0 == 0 }
        if finished { lost = missing } else { hung = missing }
        duplicated = snapshot.outcomesPerTask.count { $0 > 1 }
    }

    var residentDriftMiB: Double { residentMiBAfter - residentMiBBefore }
    var descriptorGrowth: Int { descriptorsAfter.count - descriptorsBefore.count }

    /// Descriptors open after the run that were not before it, with what they refer to.
    var newDescriptors: [String] {
        descriptorsAfter.filter { descriptorsBefore[$0.key] != $0.value }.sorted { $0.key < $1.key }
            .map { "\($0.key) → \($0.value)" }
    }

    /// Each condition of the pass line, with whether it holds.
    var checks: [(name: String, holds: Bool)] {
        [
            ("lost = 0", lost == 0),
            ("duplicated = 0", duplicated == 0),
            ("hung = 0", hung == 0),
            ("wrong outcomes = 0", outcomes.wrong.isEmpty),
            ("leftover processes = 0", leftoverProcesses.isEmpty),
            ("parent fd growth = 0", descriptorGrowth <= 0),
            (
                "parent RSS drift ≤ \(format(Self.residentDriftLimitMiB)) MiB",
                residentDriftMiB <= Self.residentDriftLimitMiB
            ),
        ]
    }

    var passed: Bool { checks.allSatisfy(\.holds) }

    func printTable() {
        let counts = plan.counts
        print("")
        print("chaos: \(plan.tasks) tasks, \(workers) workers, seed \(plan.seed), \(format(seconds)) s")
        print(
            "  planned faults  "
                + ChaosTask.Fault.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        )
        print(
            "  outcomes        "
                + outcomes.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                    separator: ", "))
        print(
            "  crashes named   "
                + outcomes.crashTypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                    separator: ", "))
        print("  kills sent      \(kills) (SIGKILL, \(format(killsPerSecond))/s)")
        print("  restarts        \(restarts), final workers \(finalWorkers) of \(workers)")
        print("  lost \(lost), duplicated \(duplicated), hung \(hung), wrong \(outcomes.wrong.count)")
        print("  parent fds      \(descriptorsBefore.count) before, \(descriptorsAfter.count) after")
        for descriptor in newDescriptors { print("  new fd: \(descriptor)") }
        print(
            "  parent RSS      \(format(residentMiBBefore)) MiB before, \(format(residentMiBAfter)) MiB after (drift \(format(residentDriftMiB)) MiB)"
        )
        print(
            "  leftover procs  \(leftoverProcesses.count)"
                + (leftoverProcesses.isEmpty ? "" : ": \(leftoverProcesses)"))
        for problem in outcomes.wrong.prefix(10) { print("  wrong: \(problem)") }
        print("")
        for check in checks { print("  \(check.holds ? "pass" : "FAIL")  \(check.name)") }
        print(passed ? "PASSED" : "FAILED")
    }

    func json() -> String {
        func object(_ pairs: [(String, String)], indent: String) -> String {
            guard !pairs.isEmpty else { return "{}" }
            let inner = pairs.map { "\(indent)  \"\(jsonEscaped($0.0))\": \($0.1)" }.joined(separator: ",\n")
            return "{\n\(inner)\n\(indent)}"
        }
        func counts(_ values: [String: Int], indent: String) -> String {
            object(values.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }, indent: indent)
        }
        let planned = plan.counts
        let pairs: [(String, String)] = [
            ("schema", "1"),
            ("tasks", "\(plan.tasks)"),
            ("workers", "\(workers)"),
            ("seed", "\(plan.seed)"),
            ("seconds", fixed(seconds, digits: 3)),
            ("kills_per_second", fixed(killsPerSecond, digits: 3)),
            (
                "rates",
                object(
                    plan.rates.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                        ($0.key.rawValue, fixed($0.value, digits: 6))
                    },
                    indent: "  ")
            ),
            (
                "planned_faults",
                object(ChaosTask.Fault.allCases.map { ($0.rawValue, "\(planned[$0] ?? 0)") }, indent: "  ")
            ),
            ("outcomes", counts(outcomes.byKind, indent: "  ")),
            (
                "outcomes_by_fault",
                object(
                    outcomes.byFault.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                        ($0.key.rawValue, counts($0.value, indent: "    "))
                    }, indent: "  ")
            ),
            ("crash_types", counts(outcomes.crashTypes, indent: "  ")),
            ("submitted", "\(plan.tasks)"),
            ("lost", "\(lost)"),
            ("duplicated", "\(duplicated)"),
            ("hung", "\(hung)"),
            ("wrong", "\(outcomes.wrong.count)"),
            ("kills", "\(kills)"),
            ("restarts", "\(restarts)"),
            ("final_workers", "\(finalWorkers)"),
            ("parent_fds_before", "\(descriptorsBefore.count)"),
            ("parent_fds_after", "\(descriptorsAfter.count)"),
            ("parent_rss_mib_before", fixed(residentMiBBefore, digits: 3)),
            ("parent_rss_mib_after", fixed(residentMiBAfter, digits: 3)),
            ("leftover_processes", "\(leftoverProcesses.count)"),
            ("passed", passed ? "true" : "false"),
        ]
        return object(pairs, indent: "") + "\n"
    }
}

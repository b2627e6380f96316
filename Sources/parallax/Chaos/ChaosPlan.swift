import Parallax

/// Which fault each task of a chaos run has: drawn once from a seed, so that a run can be
/// repeated.
struct ChaosPlan: Sendable {
    let tasks: Int
    let rates: [ChaosTask.Fault: Double]
    let seed: UInt64
    private let faults: [ChaosTask.Fault]

    init(tasks: Int, rates: [ChaosTask.Fault: Double], seed: UInt64) {
        self.tasks = tasks
        self.rates = rates
        self.seed = seed
        var random = SplitMix64(seed: seed)
        let ordered = ChaosTask.Fault.allCases.filter { $0 != .none }
        faults = (0..<tasks).map { _ in
            var draw = Double(random.next() >> 11) / Double(1 << 53)
            for fault in ordered {
                let rate = rates[fault] ?? 0
                if draw < rate { return fault }
                draw -= rate
            }
            return .none
        }
    }

    func fault(of id: Int) -> ChaosTask.Fault { faults[id] }

    /// How many tasks have each fault.
    var counts: [ChaosTask.Fault: Int] {
        faults.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// The outcomes a task with `fault` may correctly have. A worker killed by the chaos fails
    /// whatever it runs as crashed.
    static func allowed(_ fault: ChaosTask.Fault) -> Set<String> {
        switch fault {
        case .none: ["ok", "crashed"]
        case .throwError: ["threw", "crashed"]
        case .crash, .exhaustMemory: ["crashed"]
        case .hang: ["timedOut", "crashed"]
        }
    }
}

import Parallax

/// Every outcome of a chaos run, counted per task.
final class ChaosLedger: Sendable {
    struct Snapshot: Sendable {
        /// How many outcomes each task got.
        var outcomesPerTask: [UInt8]
        /// Outcomes by kind ("ok", "threw", "crashed", ...).
        var byKind: [String: Int] = [:]
        /// Outcomes by the task's planned fault, then by kind.
        var byFault: [ChaosTask.Fault: [String: Int]] = [:]
        /// Crashes by the error type that named them.
        var crashTypes: [String: Int] = [:]
        /// Outcomes that the task's plan does not allow, or a value that is not the task's id.
        var wrong: [String] = []
    }

    private let plan: ChaosPlan
    private let state: Locked<Snapshot>

    init(plan: ChaosPlan) {
        self.plan = plan
        state = Locked(Snapshot(outcomesPerTask: [UInt8](repeating: 0, count: plan.tasks)))
    }

    func record(_ task: ChaosTask, _ outcome: Result<Int, TaskError>) {
        let kind: String
        var problem: String?
        switch outcome {
        case .success(let value):
            kind = "ok"
            if value != task.id { problem = "task \(task.id) got the value \(value)" }
        case .failure(let error):
            kind = error.kind.description
        }
        if problem == nil, !ChaosPlan.allowed(task.fault).contains(kind) {
            let detail = outcome.failure.map { ": \($0.type): \($0.message)" } ?? ""
            problem = "task \(task.id) planned \(task.fault.rawValue) ended \(kind)\(detail)"
        }
        state.withLock { state in
            state.outcomesPerTask[task.id] &+= 1
            state.byKind[kind, default: 0] += 1
            state.byFault[task.fault, default: [:]][kind, default: 0] += 1
            if case .failure(let error) = outcome, error.kind == .crashed {
                state.crashTypes[error.type, default: 0] += 1
            }
            if let problem { state.wrong.append(problem) }
        }
    }

    func snapshot() -> Snapshot { state.withLock { $0 } }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

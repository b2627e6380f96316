import Parallax

/// Turns a recorded result into the slot's ``/Parallax/TaskResult``: the same kinds of `TaskError` a
/// local pool gives, plus the remote ones (`TaskError/Kind/hostLost`,
/// `TaskError/Kind/attemptsExhausted`) with the task's attempts in the trace.
enum RemoteOutcome {
    static func result<Value: Decodable & Sendable>(
        _ recorded: QueueStatements.Result, as _: Value.Type, history: [QueueStatements.AttemptRecord]
    ) -> TaskResult<Value> {
        let name = recorded.kind
        let error = recorded.payload.flatMap { try? WireCodec.decode(TaskError.self, from: $0[...]) }
        switch recorded.outcome {
        case .value:
            do throws(TaskError) {
                return TaskResult(
                    .success(
                        try WorkerPool.decodeOutput(Value.self, from: recorded.payload ?? [], name: name)))
            } catch {
                return TaskResult(.failure(error))
            }
        case .thrown, .timedOut, .crashed:
            return TaskResult(.failure(error ?? TaskError.cancelled(task: name)))
        case .cancelled:
            return TaskResult(.failure(error ?? TaskError.cancelled(task: name)))
        case .lost:
            return TaskResult(
                .failure(
                    .hostLost(
                        task: name, times: history.count { $0.end == .reapedHostLost },
                        history: describe(history))))
        case .exhausted:
            return TaskResult(
                .failure(
                    .attemptsExhausted(
                        task: name, attempts: recorded.attempts, last: error, history: describe(history))))
        }
    }

    /// Whether a result needs the task's attempt log to be described.
    static func needsHistory(_ recorded: QueueStatements.Result) -> Bool {
        recorded.outcome == .lost || recorded.outcome == .exhausted
    }

    static func describe(_ history: [QueueStatements.AttemptRecord]) -> String {
        history.enumerated().map { index, record in
            let how: String =
                switch record.end {
                case .completed?: "completed"
                case .failed?: "its worker died"
                case .reapedHostLost?: "its host was lost"
                case .reapedOverdue?: "overdue"
                case .staleRejected?: "a late completion, rejected"
                case .released?: "released unstarted"
                case nil: "unknown"
                }
            let took = record.seconds.map { " after \(($0 * 1000).rounded() / 1000) s" } ?? ""
            return "attempt \(index + 1) (token \(record.attemptID)) on node \(record.node): \(how)\(took)"
        }.joined(separator: "\n")
    }
}

/// One submitted task on its way through a pool: already encoded, with its completion. A class:
/// the state machine keeps it in its in-flight table and hands it out in the sends it returns,
/// and each copy of a struct retained its name, payload and completion one by one.
package final class Job: Sendable {
    package typealias Completion = @Sendable (Result<[UInt8], TaskError>) -> Void

    /// Who learns a job's outcome: a function, or the one-shot its caller waits on, which needs
    /// no closure (and no allocation for one).
    package enum Finish: Sendable {
        case call(Completion)
        case deliver(OneShot<Result<[UInt8], TaskError>>)

        /// Hands `outcome` over.
        package func callAsFunction(_ outcome: Result<[UInt8], TaskError>) {
            switch self {
            case .call(let completion): completion(outcome)
            case .deliver(let answer): answer.deliver(outcome)
            }
        }
    }

    package let id: UInt64
    /// The kind of frame that carries the job: a run, or a batch of a map.
    package let kind: Frame.Kind
    package let name: String
    /// The payload of the job's run frame: the name and the encoded input, after the trace
    /// context of a traced job.
    package let payload: [UInt8]
    package let timeout: Duration?
    /// Called exactly once with the job's outcome.
    package let complete: Finish
    /// The trace of the task, which the job's sends are recorded in.
    package let trace: TaskTrace?

    package convenience init(
        id: UInt64, kind: Frame.Kind = .run, name: String, payload: [UInt8], timeout: Duration?,
        completion: @escaping Completion
    ) {
        self.init(
            id: id, kind: kind, name: name, payload: payload, timeout: timeout, finish: .call(completion))
    }

    /// - Parameters:
    ///   - kind: `.run` or `.runBatch`; with a trace whose context travels, the traced kind.
    ///   - payload: The payload of the plain frame.
    ///   - trace: The task's trace.
    package init(
        id: UInt64, kind: Frame.Kind = .run, name: String, payload: [UInt8], timeout: Duration?,
        finish: Finish, trace: TaskTrace? = nil
    ) {
        self.id = id
        if let wire = trace?.wire, let traced = kind.traced {
            self.kind = traced
            self.payload = TracedPayload.wrap(wire, around: payload)
        } else {
            self.kind = kind
            self.payload = payload
        }
        self.name = name
        self.timeout = timeout
        self.complete = finish
        self.trace = trace
    }
}

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
    /// The payload of the job's run frame: the name and the encoded input.
    package let payload: [UInt8]
    package let timeout: Duration?
    /// Called exactly once with the job's outcome.
    package let complete: Finish

    package convenience init(
        id: UInt64, kind: Frame.Kind = .run, name: String, payload: [UInt8], timeout: Duration?,
        completion: @escaping Completion
    ) {
        self.init(
            id: id, kind: kind, name: name, payload: payload, timeout: timeout, finish: .call(completion))
    }

    package init(
        id: UInt64, kind: Frame.Kind = .run, name: String, payload: [UInt8], timeout: Duration?,
        finish: Finish
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.payload = payload
        self.timeout = timeout
        self.complete = finish
    }
}

/// One submitted task on its way through a pool: already encoded, with its completion. A class:
/// the state machine keeps it in its in-flight table and hands it out in the sends it returns,
/// and each copy of a struct retained its name, payload and completion one by one.
package final class Job: Sendable {
    package typealias Completion = @Sendable (Result<[UInt8], TaskError>) -> Void

    package let id: UInt64
    /// The kind of frame that carries the job: a run, or a batch of a map.
    package let kind: Frame.Kind
    package let name: String
    /// The payload of the job's run frame: the name and the encoded input.
    package let payload: [UInt8]
    package let timeout: Duration?
    package let completion: Completion

    package init(
        id: UInt64, kind: Frame.Kind = .run, name: String, payload: [UInt8], timeout: Duration?,
        completion: @escaping Completion
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.payload = payload
        self.timeout = timeout
        self.completion = completion
    }
}

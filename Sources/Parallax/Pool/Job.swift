/// One submitted task on its way through a pool: already encoded, with its completion.
package struct Job: Sendable {
    package typealias Completion = @Sendable (Result<[UInt8], TaskError>) -> Void

    package let id: UInt64
    package let name: String
    package let input: [UInt8]
    package let timeout: Duration?
    package let completion: Completion

    package init(
        id: UInt64, name: String, input: [UInt8], timeout: Duration?, completion: @escaping Completion
    ) {
        self.id = id
        self.name = name
        self.input = input
        self.timeout = timeout
        self.completion = completion
    }
}

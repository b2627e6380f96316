/// The package interface shared with ``WaitGroup`` and ``WorkerPool/map(_:_:chunkSize:timeout:)``:
/// checking and encoding a task before anything is sent, decoding its output.
extension WorkerPool {
    /// A task checked against the registry, with its input snapshotted.
    @usableFromInline
    package struct EncodedTask: Sendable {
        @usableFromInline package var name: String
        /// The payload of the task's run frame: the name, then the encoded input.
        @usableFromInline package var payload: [UInt8]

        /// A task encoded before, such as one read back from a queue.
        package init(name: String, payload: [UInt8]) {
            self.name = name
            self.payload = payload
        }
    }

    /// Checks a task against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Task: WorkerTask>(_ task: Task) throws -> EncodedTask {
        try tasks.encode(task, payloadLimit: configuration.payloadLimit)
    }

    /// Checks a function against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Input, Output>(_ function: TaskFunction<Input, Output>, _ input: Input) throws
        -> EncodedTask
    {
        try tasks.encode(function, input, payloadLimit: configuration.payloadLimit)
    }

    /// Checks an encoded input (`inputs` of them, for a chunk of a map) against
    /// ``Configuration/maximumPayloadSize``.
    @usableFromInline
    package func checkPayloadSize(_ count: Int, name: String, inputs: Int = 1) throws(SpawnError) {
        try Self.checkPayloadSize(count, limit: configuration.payloadLimit, name: name, inputs: inputs)
    }

    /// Checks an encoded input against a payload limit.
    @usableFromInline
    package static func checkPayloadSize(_ count: Int, limit: Int, name: String, inputs: Int = 1)
        throws(SpawnError)
    {
        guard count > limit else { return }
        throw SpawnError.payloadTooLarge(name, count: count, limit: limit, inputs: inputs)
    }

    @usableFromInline
    package func checkRegistered(_ name: String) throws(SpawnError) {
        try tasks.checkRegistered(name)
    }

    @usableFromInline
    package static func decodeOutput<Output: Decodable>(
        _: Output.Type, from bytes: [UInt8], name: String
    ) throws(TaskError) -> Output {
        try decodeOutput(Output.self, from: bytes[...], name: name)
    }

    package static func decodeOutput<Output: Decodable>(
        _: Output.Type, from bytes: ArraySlice<UInt8>, name: String
    ) throws(TaskError) -> Output {
        do {
            return try WireCodec.decode(Output.self, from: bytes)
        } catch {
            throw TaskError.resultNotDecodable(task: name, as: Output.self, error)
        }
    }
}

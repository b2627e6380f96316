/// The package interface shared with ``WaitGroup`` and ``WorkerPool/map(_:_:chunkSize:timeout:)``:
/// checking and encoding a task before anything is sent, decoding its output.
extension WorkerPool {
    /// A task checked against the registry, with its input snapshotted.
    @usableFromInline
    package struct EncodedTask: Sendable {
        @usableFromInline package var name: String
        /// The payload of the task's run frame: the name, then the encoded input.
        @usableFromInline package var payload: [UInt8]
        /// The trace of the task, when it was submitted in a service context: its span in the
        /// pool, and the context its frames carry to the worker.
        @usableFromInline package var trace: TaskTrace?

        /// A task encoded before, such as one read back from a queue.
        package init(name: String, payload: [UInt8], trace: TaskTrace? = nil) {
            self.name = name
            self.payload = payload
            self.trace = trace
        }
    }

    /// Checks a task against the registry, snapshots its input and, in a service context, starts
    /// its trace.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Task: WorkerTask>(_ task: Task) throws -> EncodedTask {
        traced(try tasks.encode(task, payloadLimit: configuration.payloadLimit))
    }

    /// Checks a function against the registry, snapshots its input and, in a service context,
    /// starts its trace.
    /// - Throws: ``SpawnError``.
    @usableFromInline
    package func encode<Input, Output>(_ function: TaskFunction<Input, Output>, _ input: Input) throws
        -> EncodedTask
    {
        traced(try tasks.encode(function, input, payloadLimit: configuration.payloadLimit))
    }

    /// `task` with its trace started, when the caller runs in a service context.
    private func traced(_ task: EncodedTask) -> EncodedTask {
        var task = task
        task.trace = TaskTrace.start("run", task: task.name, pool: configuration.name)
        return task
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

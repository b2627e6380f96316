/// Checking a task against the registry and snapshotting its input, before anything is sent: the
/// one place where a bad task is refused at the call site, for a pool and for a queue alike.
extension TaskRegistry {
    /// Checks a task against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    package func encode<Task: WorkerTask>(_ task: Task, payloadLimit: Int) throws -> WorkerPool.EncodedTask {
        try encode(name: Task.taskName, task, payloadLimit: payloadLimit)
    }

    /// Checks a function against the registry and snapshots its input.
    /// - Throws: ``SpawnError``.
    package func encode<Input, Output>(
        _ function: TaskFunction<Input, Output>, _ input: Input, payloadLimit: Int
    ) throws -> WorkerPool.EncodedTask {
        try encode(name: function.name, input, payloadLimit: payloadLimit)
    }

    private func encode<Input: Encodable>(name: String, _ input: Input, payloadLimit: Int) throws
        -> WorkerPool.EncodedTask
    {
        try checkRegistered(name)
        let payload: [UInt8]
        do {
            payload = try RunRequest.payload(name: name, input: input)
        } catch {
            throw SpawnError.unencodableInput(name, error)
        }
        try WorkerPool.checkPayloadSize(payload.count, limit: payloadLimit, name: name)
        return WorkerPool.EncodedTask(name: name, payload: payload)
    }

    /// Refuses a name the registry does not hold.
    package func checkRegistered(_ name: String) throws(SpawnError) {
        guard contains(name) else { throw SpawnError.unregisteredTask(name) }
    }
}

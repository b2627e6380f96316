extension WorkerPool {
    /// Runs a registered function over every input in the pool's workers and returns one result per
    /// input, in input order.
    ///
    /// Inputs travel in chunks of `chunkSize`, one frame each way per chunk, so that small items do
    /// not each pay a round trip; at most `limit` chunks are in the pool at once. Every input is
    /// encoded before anything runs (the snapshot). A thrown error fills that input's slot only; a
    /// crash, a timeout or a cancellation fills every slot of the chunk it hit, and the other chunks
    /// go on.
    ///
    /// ```swift
    /// let square = TaskFunction("square") { (x: Int) in x * x }
    /// let results = try await pool.map(1...10_000, square, chunkSize: 256)
    /// let sum = results.compactMap(\.value).reduce(0, +)
    /// ```
    ///
    /// - Parameters:
    ///   - inputs: The inputs.
    ///   - function: A function registered with the pool.
    ///   - chunkSize: How many inputs travel in one frame; 1 for long-running items.
    ///   - limit: How many chunks are in the pool at once; by default enough to keep every worker
    ///     busy.
    ///   - timeout: The time limit of each chunk, or the configuration's ``Configuration/taskTimeout``.
    /// - Returns: One result per input, in input order.
    /// - Throws: ``SpawnError`` when the function is not registered, ``CaptureError`` when an input
    ///   cannot be encoded; nothing runs then.
    public func map<Input, Output>(
        _ inputs: some Sequence<Input>, _ function: TaskFunction<Input, Output>, chunkSize: Int = 1,
        limit: Int? = nil, timeout: Duration? = nil
    ) async throws -> [TaskResult<Output>] {
        precondition(chunkSize > 0, "a chunk holds at least one input")
        try checkRegistered(function.name)
        let chunks = try Self.encodeChunks(inputs, name: function.name, chunkSize: chunkSize)
        let total = chunks.last.map { $0.start + $0.count } ?? 0
        let inFlight = max(1, limit ?? configuration.workerCount * configuration.pipelineDepth * 2)

        var results = [TaskResult<Output>?](repeating: nil, count: total)
        await withTaskGroup(of: (Int, [TaskResult<Output>]).self) { group in
            var next = 0
            func startNext() {
                let chunk = chunks[next]
                next += 1
                group.addTask {
                    (
                        chunk.start,
                        await self.run(chunk, name: function.name, timeout: timeout, as: Output.self)
                    )
                }
            }
            for _ in 0..<min(inFlight, chunks.count) { startNext() }
            while let (start, chunkResults) = await group.next() {
                for (offset, result) in chunkResults.enumerated() { results[start + offset] = result }
                if next < chunks.count { startNext() }
            }
        }
        return results.map { $0! }
    }

    /// Inputs encoded into the payloads of batch frames.
    struct Chunk: Sendable {
        var start: Int
        var count: Int
        var payload: [UInt8]
    }

    static func encodeChunks<Input: Encodable>(
        _ inputs: some Sequence<Input>, name: String, chunkSize: Int
    ) throws -> [Chunk] {
        var chunks: [Chunk] = []
        var writer = BatchPayload.RequestWriter(name: name)
        var start = 0
        var count = 0
        for input in inputs {
            do {
                try writer.append(input)
            } catch {
                throw CaptureError(taskName: name, underlying: error)
            }
            count += 1
            if count == chunkSize {
                chunks.append(Chunk(start: start, count: count, payload: writer.bytes))
                start += count
                count = 0
                writer = BatchPayload.RequestWriter(name: name)
            }
        }
        if count > 0 { chunks.append(Chunk(start: start, count: count, payload: writer.bytes)) }
        return chunks
    }

    /// Runs one chunk and turns its answer into one result per input.
    private func run<Output: Decodable>(
        _ chunk: Chunk, name: String, timeout: Duration?, as _: Output.Type
    ) async -> [TaskResult<Output>] {
        let answer = await answer(
            EncodedTask(name: name, payload: chunk.payload), kind: .runBatch, timeout: timeout)
        let outcomes: [Result<ArraySlice<UInt8>, TaskError>]
        switch answer {
        case .failure(let error):
            return Array(repeating: TaskResult(.failure(error)), count: chunk.count)
        case .success(let payload):
            do {
                outcomes = try BatchPayload.outcomes(payload, expected: chunk.count)
            } catch {
                let failure = TaskError(
                    kind: .protocolViolation, type: "Parallax.ProtocolError",
                    message: "a worker answered a chunk of '\(name)' with an unreadable batch: \(error)")
                return Array(repeating: TaskResult(.failure(failure)), count: chunk.count)
            }
        }
        return outcomes.map { outcome in
            TaskResult(
                outcome.flatMap { bytes in
                    Result { () throws(TaskError) in
                        try Self.decodeOutput(Output.self, from: bytes, name: name)
                    }
                })
        }
    }
}

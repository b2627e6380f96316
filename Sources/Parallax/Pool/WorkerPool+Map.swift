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
    ///   - timeout: The time limit of each chunk (of each input with the default `chunkSize` of 1),
    ///     or the configuration's ``Configuration/taskTimeout``; on expiry the chunk's inputs fail as
    ///     timed out and its worker is replaced.
    /// - Returns: One result per input, in input order.
    /// - Throws: ``SpawnError`` when the function is not registered or an input cannot be
    ///   encoded; nothing runs then.
    @inlinable
    public func map<Input, Output>(
        _ inputs: some Sequence<Input>, _ function: TaskFunction<Input, Output>, chunkSize: Int = 1,
        limit: Int? = nil, timeout: Duration? = nil
    ) async throws -> [TaskResult<Output>] {
        try await collect(
            inputs, function, chunkSize: chunkSize, limit: limit, timeout: timeout, failFast: false
        )
        .results
    }

    /// Runs a registered function over every input and returns the outputs in input order, or
    /// throws the first failure: the fail-fast form of ``map(_:_:chunkSize:limit:timeout:)``.
    /// The chunks still running when a failure arrives are cancelled.
    ///
    /// ```swift
    /// let squares = try await pool.mapValues(1...1_000, square, chunkSize: 64)
    /// ```
    ///
    /// - Parameters:
    ///   - inputs: The inputs.
    ///   - function: A function registered with the pool.
    ///   - chunkSize: How many inputs travel in one frame.
    ///   - limit: How many chunks are in the pool at once.
    ///   - timeout: The time limit of each chunk (of each input with the default `chunkSize` of 1).
    /// - Returns: One output per input, in input order.
    /// - Throws: ``SpawnError`` before anything runs; the first ``/ParallaxWire/TaskError``.
    @inlinable
    public func mapValues<Input, Output>(
        _ inputs: some Sequence<Input>, _ function: TaskFunction<Input, Output>, chunkSize: Int = 1,
        limit: Int? = nil, timeout: Duration? = nil
    ) async throws -> [Output] {
        let (results, failure) = try await collect(
            inputs, function, chunkSize: chunkSize, limit: limit, timeout: timeout, failFast: true)
        if let failure { throw failure }
        return results.map { $0.value! }
    }

    /// Runs the inputs in chunks and collects one result per input, in input order; with
    /// `failFast`, the first failure to arrive cancels the chunks not done, and is returned too.
    @inlinable
    func collect<Input, Output>(
        _ inputs: some Sequence<Input>, _ function: TaskFunction<Input, Output>, chunkSize: Int, limit: Int?,
        timeout: Duration?, failFast: Bool
    ) async throws -> (results: [TaskResult<Output>], firstFailure: TaskError?) {
        precondition(chunkSize > 0, "a chunk holds at least one input")
        try checkRegistered(function.name)
        let chunks = try Self.encodeChunks(
            inputs, name: function.name, chunkSize: chunkSize, payloadLimit: configuration.payloadLimit)
        let total = chunks.last.map { $0.start + $0.count } ?? 0
        guard total > 0 else { return ([], nil) }

        // Every chunk delivers exactly once, whatever happens to it, so every slot is initialized
        // before the results move into the array: no per-chunk arrays to copy and destroy.
        // Chunks complete on several threads at once, each initializing its own slots; the run
        // returns after the last, and the caller is resumed once, not once per input.
        let slots = MapSlots<TaskResult<Output>>(capacity: total)
        defer { slots.base.deallocate() }
        let firstFailure = FirstFailure()
        let name = function.name
        await runChunks(chunks, name: name, limit: limit, timeout: timeout) { index, answer in
            let chunk = chunks[index]
            var failure: TaskError?
            Self.forEachResult(of: answer, for: chunk, name: name, as: Output.self) { offset, result in
                if failFast, failure == nil, case .failure(let error) = result.result { failure = error }
                (slots.base + chunk.start + offset).initialize(to: result)
            }
            guard let failure else { return true }
            firstFailure.keep(failure)
            return false
        }
        let results = [TaskResult<Output>](unsafeUninitializedCapacity: total) { buffer, count in
            buffer.baseAddress!.moveInitialize(from: slots.base, count: total)
            count = total
        }
        return (results, firstFailure.error)
    }

    /// Runs a registered function over every input like ``map(_:_:chunkSize:limit:timeout:)``, and
    /// yields each input's result as its chunk completes, for progress bars and for work that can
    /// start on early results.
    ///
    /// ```swift
    /// var done = 0
    /// for await item in try pool.mapStream(images, thumbnail, chunkSize: 4) {
    ///     done += 1
    ///     print("\(done)/\(images.count): image \(item.index) \(item.result.ok ? "ok" : "failed")")
    /// }
    /// ```
    ///
    /// Ending the iteration early cancels the chunks not yet done, once the stream is released:
    /// iterate it where it is made (`for await item in try pool.mapStream(…)`), or drop every copy
    /// of it, as with any `AsyncStream`.
    ///
    /// - Parameters:
    ///   - inputs: The inputs.
    ///   - function: A function registered with the pool.
    ///   - chunkSize: How many inputs travel in one frame.
    ///   - limit: How many chunks are in the pool at once.
    ///   - timeout: The time limit of each chunk (of each input with the default `chunkSize` of 1).
    /// - Returns: The results in completion order, each with its input's index.
    /// - Throws: ``SpawnError`` before anything runs.
    @inlinable
    public func mapStream<Input, Output>(
        _ inputs: some Sequence<Input>, _ function: TaskFunction<Input, Output>, chunkSize: Int = 1,
        limit: Int? = nil, timeout: Duration? = nil
    ) throws -> AsyncStream<MapItem<Output>> {
        precondition(chunkSize > 0, "a chunk holds at least one input")
        try checkRegistered(function.name)
        let chunks = try Self.encodeChunks(
            inputs, name: function.name, chunkSize: chunkSize, payloadLimit: configuration.payloadLimit)
        let (stream, continuation) = AsyncStream.makeStream(of: MapItem<Output>.self)
        // The producer lives as long as the stream: it ends with the last chunk, or is cancelled
        // when the consumer stops iterating.
        let name = function.name
        let producer = Task {
            await self.runChunks(chunks, name: name, limit: limit, timeout: timeout) { index, answer in
                let chunk = chunks[index]
                Self.forEachResult(of: answer, for: chunk, name: name, as: Output.self) { offset, result in
                    continuation.yield(MapItem(index: chunk.start + offset, result: result))
                }
                return true
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return stream
    }

    /// Runs encoded chunks, at most `limit` at once, handing each chunk's index and encoded answer
    /// to `deliver` as it completes, exactly once each, on whichever thread read it (see
    /// ``ChunkRun``). Nothing here depends on the output type.
    @usableFromInline
    func runChunks(
        _ chunks: [Chunk], name: String, limit: Int?, timeout: Duration?,
        deliver: @escaping @Sendable (Int, Result<[UInt8], TaskError>) -> Bool
    ) async {
        let inFlight = max(1, limit ?? configuration.workerCount * configuration.pipelineDepth * 2)
        await ChunkRun(
            pool: self, chunks: chunks, name: name, inFlight: inFlight, timeout: timeout, deliver: deliver
        ).run()
    }

    /// Inputs encoded into the payloads of batch frames.
    @usableFromInline
    struct Chunk: Sendable {
        @usableFromInline var start: Int
        @usableFromInline var count: Int
        @usableFromInline var payload: [UInt8]

        @inlinable
        init(start: Int, count: Int, payload: [UInt8]) {
            self.start = start
            self.count = count
            self.payload = payload
        }
    }

    // Inlinable, like the map functions: specialized for the caller's input sequence, the loop
    // over the inputs costs no generic metadata lookups.
    /// Encodes the inputs into chunks of at most `chunkSize` inputs and `payloadLimit` bytes: a
    /// chunk closes early before an input that would take it over the limit.
    /// - Throws: ``SpawnError`` for an input that cannot be encoded or alone is over the limit.
    @inlinable
    static func encodeChunks<Input: Encodable>(
        _ inputs: some Sequence<Input>, name: String, chunkSize: Int, payloadLimit: Int
    ) throws -> [Chunk] {
        var chunks: [Chunk] = []
        var writer = BatchPayload.RequestWriter(name: name)
        var start = 0
        var count = 0
        for input in inputs {
            do {
                try writer.append(input)
            } catch {
                throw SpawnError.unencodableInput(name, error)
            }
            if writer.bytes.count > payloadLimit {
                if count > 0 {
                    writer.removeLast()
                    chunks.append(Chunk(start: start, count: count, payload: writer.bytes))
                    start += count
                    count = 0
                    writer = BatchPayload.RequestWriter(name: name)
                    try writer.append(input)  // encoded once already
                }
                try checkPayloadSize(writer.bytes.count, limit: payloadLimit, name: name)
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

    /// Turns a chunk's answer into one result per input, handed to `body` with its offset in the
    /// chunk, each exactly once.
    @inlinable
    static func forEachResult<Output: Decodable>(
        of answer: Result<[UInt8], TaskError>, for chunk: Chunk, name: String, as _: Output.Type,
        _ body: (Int, TaskResult<Output>) -> Void
    ) {
        let outcomes: BatchPayload.Outcomes
        switch answer {
        case .failure(let error):
            for offset in 0..<chunk.count { body(offset, TaskResult(.failure(error))) }
            return
        case .success(let payload):
            do {
                outcomes = try BatchPayload.Outcomes(payload, expected: chunk.count)
            } catch {
                let failure = TaskError.protocolViolation(
                    "a worker answered a chunk of '\(name)' with an unreadable batch: \(error)")
                for offset in 0..<chunk.count { body(offset, TaskResult(.failure(failure))) }
                return
            }
        }
        outcomes.payload.withUnsafeBytes { raw in
            for (offset, entry) in outcomes.entries.enumerated() {
                switch entry {
                case .value(let range):
                    do {
                        let bytes = UnsafeRawBufferPointer(rebasing: raw[range])
                        body(offset, TaskResult(.success(try BinaryDecoder.decode(Output.self, from: bytes))))
                    } catch {
                        body(
                            offset,
                            TaskResult(
                                .failure(TaskError.resultNotDecodable(task: name, as: Output.self, error))))
                    }
                case .failure(let error):
                    body(offset, TaskResult(.failure(error)))
                }
            }
        }
    }

}

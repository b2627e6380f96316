/// Entry points into the library's internals for the `Benchmarks/` package, which measures the
/// hot paths in isolation. Not API: import with `@_spi(Benchmarks)`, and expect it to change.
@_spi(Benchmarks)
public enum BenchmarkHooks {
    /// Encodes a frame with a payload of `payloadSize` bytes and decodes it again.
    /// - Parameter payloadSize: The payload's size in bytes.
    /// - Returns: The decoded payload's size.
    public static func frameRoundTrip(payloadSize: Int) -> Int {
        let frame = Frame(kind: .result, id: 42, payload: [UInt8](repeating: 7, count: payloadSize))
        var decoder = FrameDecoder(maximumFrameSize: 1 << 30)
        decoder.append(frame.encoded())
        return (try? decoder.next())??.payload.count ?? -1
    }

    /// Encodes a value with the channel's codec and decodes it again.
    /// - Parameter value: The value.
    /// - Returns: The decoded value.
    /// - Throws: What the codec throws.
    public static func codecRoundTrip<T: Codable>(_ value: T) throws -> T {
        try WireCodec.decode(T.self, from: try WireCodec.encode(value))
    }

    /// Runs `count` jobs through the pool's state machine on one idle worker: submit, then finish.
    /// - Parameter count: How many jobs.
    /// - Returns: How many were completed.
    public static func dispatchCycles(_ count: Int) -> Int {
        var machine = PoolStateMachine<Int>(slotCount: 1)
        let generation = machine.workerSpawning(slot: 0) ?? 0
        machine.workerSpawned(slot: 0, generation: generation, handle: 0)
        _ = machine.workerStarted(slot: 0, generation: generation)
        var completed = 0
        for id in 0..<UInt64(count) {
            _ = machine.submit(Job(id: id, name: "bench", payload: [], timeout: nil) { _ in })
            if case .finished(.some, _, _, _) = machine.taskFinished(
                slot: 0, generation: generation, jobID: id)
            {
                completed += 1
            }
        }
        return completed
    }
}

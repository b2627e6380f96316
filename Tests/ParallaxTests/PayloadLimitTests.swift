import Parallax
import ParallaxTestTasks
import Testing

/// One payload limit both ways: inputs over it fail at the call site and are never sent;
/// outputs over it fail their slot with a typed error and the worker goes on.
@Suite(.timeLimit(.minutes(1)))
struct PayloadLimitTests {
    static let limit = 64 * 1024

    @Test func anInputOverTheLimitFailsAtTheCallSiteAndNothingIsSent() async throws {
        try await TestPool.with(workers: 1, payloadLimit: Self.limit) { pool in
            let worker = try await pool.submit(WhoAmI())
            let large = String(repeating: "x", count: 100_000)

            let submitted = await #expect(throws: SpawnError.self) {
                try await pool.submit(TestTasks.reversed, large)
            }
            #expect(submitted?.code == .payloadTooLarge)
            #expect(submitted?.message.contains("\(Self.limit)") == true, "\(submitted?.message ?? "")")

            let group = WaitGroup(of: String.self, isolation: .process(pool))
            try group.go(TestTasks.reversed, "ok")
            let spawned = #expect(throws: SpawnError.self) { try group.go(TestTasks.reversed, large) }
            #expect(spawned?.code == .payloadTooLarge)
            #expect(group.count == 1)
            #expect(await group.wait().map(\.value) == ["ko"])

            let mapped = await #expect(throws: SpawnError.self) {
                try await pool.map(["a", large, "b"], TestTasks.reversed)
            }
            #expect(mapped?.code == .payloadTooLarge)

            // Nothing reached the worker: the same process answers.
            #expect(try await pool.submit(WhoAmI()) == worker)
        }
    }

    @Test func aMapWhoseChunkWouldExceedTheLimitIsSplitIntoSmallerChunks() async throws {
        try await TestPool.with(workers: 1, payloadLimit: Self.limit) { pool in
            // Ten inputs of 10,000 bytes cannot travel in one chunk of 64 KiB.
            let inputs = (0..<10).map { String(repeating: Character(String($0)), count: 10_000) }
            let results = try await pool.map(inputs, TestTasks.reversed, chunkSize: 10)
            #expect(results.map(\.value) == inputs.map { String($0.reversed()) })
        }
    }

    @Test func anOutputOverTheLimitFailsItsSlotWithATypedErrorAndTheWorkerGoesOn() async throws {
        try await TestPool.with(workers: 1, payloadLimit: Self.limit) { pool in
            let worker = try await pool.submit(WhoAmI())
            let error = await #expect(throws: TaskError.self) {
                try await pool.submit(Text(length: 200_000, seed: 1))
            }
            #expect(error?.kind == .rejected)
            #expect(error?.reason == .payloadTooLarge)
            #expect(error?.message.contains("encodes to 2000") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("\(Self.limit) bytes") == true, "\(error?.message ?? "")")
            #expect(error?.workerPID == worker)
            // The same worker goes on.
            #expect(try await pool.submit(Text(length: 100, seed: 1)) == Text.make(length: 100, seed: 1))
            #expect(try await pool.submit(WhoAmI()) == worker)
        }
    }

    @Test func aChunkWhoseAnswersExceedTheLimitFailsEachOfItsSlots() async throws {
        try await TestPool.with(workers: 1, payloadLimit: Self.limit) { pool in
            let inputs = (0..<4).map { String(repeating: "y", count: 20_000) + "\($0)" }
            // The inputs cross in a chunk of three and a chunk of one (the limit). The answers of
            // the three, twice as long, cannot cross together; the last one's can.
            let results = try await pool.map(inputs, TestTasks.padded, chunkSize: 4)
            #expect(
                results.prefix(3).allSatisfy { $0.error?.reason == .payloadTooLarge }, "\(results)")
            #expect(results[3].value == inputs[3] + inputs[3])
        }
    }

    @Test func aServiceCallOverTheLimitFailsInTheWorkerWithATypedError() async throws {
        let host = ServiceHost()
        var configuration = TestPool.configuration(workers: 1)
        configuration.maximumPayloadSize = Self.limit
        try await WorkerPool.withPool(
            configuration: configuration, tasks: TestTasks.registry, services: host.registry
        ) { pool in
            let outcome = try await pool.submit(CallService(.echoOfLength(100_000)))
            #expect(outcome.error?.kind == .payloadTooLarge, "\(outcome)")
            #expect(try await pool.submit(CallService(.echo("small"))).value == "parent: small")
        }
    }

    @Test func aLengthThatDoesNotFitThe32BitFieldIsRefusedNotTruncated() {
        #expect(Frame.lengthField(payloadCount: 0) == 9)
        #expect(Frame.lengthField(payloadCount: Frame.maximumPayloadCount) == UInt32.max)
        #expect(Frame.lengthField(payloadCount: Frame.maximumPayloadCount + 1) == nil)
        #expect(Frame.lengthField(payloadCount: Int(UInt32.max)) == nil)
        #expect(Frame.lengthField(payloadCount: 1 << 32) == nil)
        #expect(Frame.lengthField(payloadCount: Int.max) == nil)
        #expect(Frame.lengthField(payloadCount: -1) == nil)
        var configuration = WorkerPool.Configuration(workerCount: 1)
        configuration.maximumPayloadSize = .max
        #expect(configuration.payloadLimit == Frame.maximumPayloadCount)
    }

    @Test func aLargeFrameIsReadIntoABufferOfItsExactSize() throws {
        let size = 50 << 20
        var decoder = FrameDecoder(maximumPayloadSize: 64 << 20)
        let bytes = Frame(kind: .result, id: 1, payload: [UInt8](repeating: 7, count: size)).encoded()
        // As a pipe delivers it: in pieces.
        var frame: Frame?
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 256 * 1024)
            bytes[offset..<end].withUnsafeBytes { decoder.append($0) }
            offset = end
            if let next = try decoder.next() { frame = next }
        }
        let payload = try #require(frame).payload
        #expect(payload.count == size)
        // Reserved at its size once, never grown: no freed block of a smaller reservation is left
        // in the allocator, and no doubling overshoots.
        #expect(payload.capacity - payload.count < 64 * 1024, "capacity \(payload.capacity)")
    }
}

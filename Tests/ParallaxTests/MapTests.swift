import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(2)))
struct MapTests {
    @Test func mapReturnsOneResultPerInputInInputOrder() async throws {
        try await TestPool.with { pool in
            let results = try await pool.map(0..<1_000, TestTasks.square, chunkSize: 64)
            #expect(results.map(\.value) == (0..<1_000).map { $0 * $0 })
            let single = try await pool.map([3, 4], TestTasks.square)
            #expect(single.map(\.value) == [9, 16])
            #expect(try await pool.map([Int](), TestTasks.square).isEmpty)
        }
    }

    @Test func aThrowingItemFailsOnlyItsOwnSlot() async throws {
        try await TestPool.with { pool in
            let results = try await pool.map(1...30, TestTasks.failOnSevens, chunkSize: 8)
            for (index, result) in results.enumerated() {
                let x = index + 1
                if x % 7 == 0 {
                    #expect(result.error?.kind == .threw)
                    #expect(result.error?.code == x)
                } else {
                    #expect(result.value == x)
                }
            }
        }
    }

    @Test func synchronousAndAsynchronousFunctionsGiveTheSameOutcomes() async throws {
        try await TestPool.with { pool in
            let synchronous = try await pool.map(1...40, TestTasks.failOnSevens, chunkSize: 16)
            let asynchronous = try await pool.map(1...40, TestTasks.failOnSevensAsync, chunkSize: 16)
            #expect(synchronous.count == 40)
            for (index, (left, right)) in zip(synchronous, asynchronous).enumerated() {
                #expect(left.value == right.value, "input \(index + 1)")
                #expect(left.error?.kind == right.error?.kind)
                #expect(left.error?.type == right.error?.type)
                #expect(left.error?.code == right.error?.code)
                #expect(left.error?.message == right.error?.message)
                if let error = left.error {
                    #expect(error.workerPID != nil)
                    #expect(error.trace.contains("test.failOnSevens"))
                }
            }
        }
    }

    @Test func aCrashFailsTheItemsOfItsChunkAndTheOtherChunksGoOn() async throws {
        try await TestPool.with { pool in
            let results = try await pool.map(0..<40, TestTasks.crashOnThirteen, chunkSize: 10)
            for (x, result) in results.enumerated() {
                if (10..<20).contains(x) {
                    #expect(result.error?.kind == .crashed)
                    #expect(result.error?.message.contains("thirteen") == true)
                } else {
                    #expect(result.value == x)
                }
            }
        }
    }

    @Test func theLimitBoundsChunksInFlightAndTheWorkRunsInWorkers() async throws {
        try await TestPool.with(workers: 4) { pool in
            let results = try await pool.map(Array(repeating: 80, count: 8), TestTasks.probe, limit: 2)
            let probes = results.compactMap(\.value)
            #expect(probes.count == 8)
            #expect(!probes.contains { $0.pid == getpid() })
            // The most intervals that overlap at any instant.
            var peak = 0
            for probe in probes {
                let overlapping = probes.filter { $0.start <= probe.start && probe.start < $0.end }.count
                peak = max(peak, overlapping)
            }
            #expect(peak <= 2)
            #expect(peak == 2, "with four free workers, two chunks should run at once")
        }
    }

    @Test func badInputsAreRefusedBeforeAnythingRuns() async throws {
        try await TestPool.with(workers: 1) { pool in
            let unencodable = await #expect(throws: SpawnError.self) {
                try await pool.map([LiveResource(descriptor: 1)], TestTasks.liveResource)
            }
            #expect(unencodable?.code == .unencodableInput)
            let unknown = TaskFunction("not.registered") { (x: Int) in x }
            await #expect(throws: SpawnError.self) { try await pool.map([1], unknown) }
        }
    }

    @Test func theStreamingFormYieldsEveryResultOnceAsChunksComplete() async throws {
        try await TestPool.with { pool in
            var seen: [Int: Int] = [:]
            for await item in try pool.mapStream(0..<200, TestTasks.square, chunkSize: 16) {
                #expect(seen[item.index] == nil)
                seen[item.index] = try item.result.get()
            }
            #expect(seen.count == 200)
            #expect(seen.allSatisfy { $0.value == $0.key * $0.key })
        }
    }

    @Test func stoppingTheStreamEarlyCancelsTheRest() async throws {
        try await TestPool.with(workers: 1) { pool in
            // Every item after the first two sleeps for ten minutes unless it is cancelled.
            let items = [20, 20] + Array(repeating: 600_000, count: 48)
            // The iteration holds the only reference to the stream: leaving it ends the stream.
            var taken = 0
            for await _ in try pool.mapStream(items, TestTasks.probe, limit: 1) {
                taken += 1
                if taken == 2 { break }
            }
            // The pool answers again: the chunk in flight was cancelled and the rest never ran
            // (otherwise this waits out the suite's time limit).
            let echoed = try await pool.submit(Echo(1))
            #expect(echoed == 1)
        }
    }

    @Test func theFailFastFormReturnsValuesOrThrowsTheFirstFailure() async throws {
        try await TestPool.with { pool in
            let squares = try await pool.mapValues(0..<100, TestTasks.square, chunkSize: 10)
            #expect(squares == (0..<100).map { $0 * $0 })
            let error = await #expect(throws: TaskError.self) {
                try await pool.mapValues(0..<40, TestTasks.crashOnThirteen, chunkSize: 5, limit: 2)
            }
            #expect(error?.kind == .crashed)
        }
    }

    @Test func theFailFastFormCancelsWhatIsLeftAtTheFirstFailure() async throws {
        try await TestPool.with { pool in
            // Each input would sleep ten minutes; each times out after 300 ms and its worker is
            // replaced. Run to the end, all forty would time out, a restart each; the first
            // failure ends it.
            let error = await #expect(throws: TaskError.self) {
                try await pool.mapValues(
                    Array(repeating: 600_000, count: 40), TestTasks.probe, limit: 2,
                    timeout: .milliseconds(300))
            }
            #expect(error?.kind == .timedOut)
            let restarts = pool.workers.map(\.restarts).reduce(0, +)
            #expect(restarts < 10, "the inputs after the first failure never ran (\(restarts) restarts)")
            let echoed = try await pool.submit(Echo(1))
            #expect(echoed == 1)
        }
    }

    @Test func aTimeoutAppliesToEachInputWithChunksOfOne() async throws {
        try await TestPool.with { pool in
            let results = try await pool.map([10, 5_000, 10], TestTasks.probe, timeout: .milliseconds(300))
            #expect(results[0].ok)
            #expect(results[1].error?.kind == .timedOut)
            #expect(results[2].ok)
        }
    }
}

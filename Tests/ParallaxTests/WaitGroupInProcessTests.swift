import Parallax
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

struct Oops: Error, CustomStringConvertible {
    var description: String { "oops in slot" }
}

enum Lettered: Int, Error {
    case seven = 7
}

@Suite(.timeLimit(.minutes(2)))
struct WaitGroupInProcessTests {
    @Test func aNewGroupHasCountZeroAndCountGrowsByOnePerGo() async {
        let group = WaitGroup(of: Int.self)
        #expect(group.count == 0)
        group.go { 1 }
        group.go { 2 }
        #expect(group.count == 2)
        _ = await group.wait()
        #expect(group.count == 2)
    }

    @Test func waitReturnsOneSlotPerGoInSpawnOrder() async {
        let group = WaitGroup(of: Int.self)
        // Each task finishes only after the one spawned after it: they finish in reverse order,
        // so the order of the slots cannot come from the order of completion.
        let finished = [Latch(), Latch(), Latch()]
        let order = Locked<[Int]>([])
        for (index, value) in [10, 20, 30].enumerated() {
            group.go {
                if index < 2 { await finished[index + 1].wait() }
                order.withLock { $0.append(value) }
                finished[index].set()
                return value
            }
        }
        #expect(await group.wait().map(\.value) == [10, 20, 30])
        #expect(order.withLock { $0 } == [30, 20, 10])
    }

    @Test func waitOnAnEmptyGroupReturnsAnEmptyArray() async {
        let group = WaitGroup(of: String.self)
        #expect(await group.wait().isEmpty)
    }

    @Test func capturesAreSnapshotsTakenAtGo() async {
        var number = 42
        var values = [1, 2, 3]
        let group = WaitGroup(of: String.self)
        group.go { [number, values] in "\(number) \(values)" }
        number = 99
        values.append(4)
        #expect(await group.wait().first?.value == "42 [1, 2, 3]")
    }

    @Test func eachTaskWorksOnItsOwnCopyOfACapture() async {
        // A task cannot write to the caller's variables at all (the compiler rejects a captured
        // `var` in a `go` closure); what it captured is a copy taken at `go`, which the caller's
        // later writes do not reach and which each task changes for itself alone.
        var counter = 0
        let group = WaitGroup(of: Int.self)
        let started = Latch()
        for _ in 0..<5 {
            group.go { [counter] in
                _ = await started.wait()
                var copy = counter
                copy += 1
                return copy
            }
        }
        counter = 10
        started.set()
        #expect(await group.wait().map(\.value) == [1, 1, 1, 1, 1])
        #expect(counter == 10)
    }

    @Test func oneThrowingTaskFailsOnlyItsSlot() async throws {
        let group = WaitGroup(of: Int.self)
        group.go { 1 }
        group.go { throw Oops() }
        group.go { 3 }
        let results = await group.wait()
        #expect(results[0].value == 1)
        #expect(results[2].value == 3)
        let error = try #require(results[1].error)
        #expect(!results[1].ok)
        #expect(error.kind == .threw)
        #expect(error.type.hasSuffix("Oops"))
        #expect(error.message == "oops in slot")
    }

    @Test func differentErrorTypesKeepTheirOwnTypeAndCode() async throws {
        let group = WaitGroup(of: Int.self)
        group.go { throw Oops() }
        group.go { throw Lettered.seven }
        let results = await group.wait()
        #expect(results[0].error?.type.hasSuffix("Oops") == true)
        #expect(results[1].error?.type.hasSuffix("Lettered") == true)
        #expect(results[1].error?.code == 7)
        #expect(results[0].error?.code == nil)
    }

    @Test func structurallyIdenticalClosuresReturnTheirOwnCaptures() async {
        let group = WaitGroup(of: String.self)
        for (index, tag) in ["a", "b", "c", "d"].enumerated() {
            group.go { [index, tag] in "\(tag)\(index)" }
        }
        #expect(await group.wait().map(\.value) == ["a0", "b1", "c2", "d3"])
    }

    @Test func aThousandSpawnsAllSucceedInOrder() async {
        let group = WaitGroup(of: Int.self)
        for index in 0..<1_000 { group.go { index * 2 } }
        let results = await group.wait()
        #expect(results.count == 1_000)
        #expect(results.allSatisfy { $0.ok })
        #expect(results.map(\.value) == (0..<1_000).map { $0 * 2 })
    }

    @Test func theLimitBoundsHowManyRunAtOnce() async {
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let release = Latch()
        let (started, starts) = AsyncStream.makeStream(of: Void.self)
        let group = WaitGroup(of: Int.self, limit: 3)
        for index in 0..<30 {
            group.go {
                let now = running.add(1, ordering: .relaxed).newValue
                peak.max(now, ordering: .relaxed)
                starts.yield()
                await release.wait()  // the first ones hold their places until released
                running.subtract(1, ordering: .relaxed)
                return index
            }
        }
        // Three run and wait; the limit keeps the others out until they are released.
        var iterator = started.makeAsyncIterator()
        for _ in 0..<3 { await iterator.next() }
        #expect(running.load(ordering: .relaxed) == 3)
        release.set()
        let results = await group.wait()
        #expect(results.map(\.value) == Array(0..<30))
        #expect(peak.load(ordering: .relaxed) == 3)
    }

    @Test func waitingTwiceReturnsTheSameSlotsAndGoAfterWaitAddsOne() async {
        let group = WaitGroup(of: Int.self)
        group.go { 1 }
        let first = await group.wait().map(\.value)
        #expect(await group.wait().map(\.value) == first)
        group.go { 2 }
        #expect(group.count == 2)
        #expect(await group.wait().map(\.value) == [1, 2])
    }

    @Test func cancellingTheWaiterCancelsUnfinishedTasksAndStillReturnsEverySlot() async throws {
        let group = WaitGroup(of: Int.self, limit: 1)
        let started = AsyncStream.makeStream(of: Void.self)
        group.go { 1 }
        group.go {
            started.continuation.yield()
            try await Task.sleep(for: .seconds(60))
            return 2
        }
        group.go { 3 }  // waits behind the limit, never starts
        let waiter = Task { await group.wait() }
        var iterator = started.stream.makeAsyncIterator()
        await iterator.next()
        waiter.cancel()
        let results = await waiter.value
        #expect(results.count == 3)
        #expect(results[0].value == 1)
        #expect(results[1].error?.kind == .cancelled)
        #expect(results[2].error?.kind == .cancelled)
    }

    @Test func threadIsolationRunsBlockingCodeOnDedicatedThreadsInParallel() async throws {
        // Each task reports when its blocking call ran: on threads of their own, the four calls
        // share an instant, which four tasks on the cooperative pool of a 2-core machine cannot.
        let group = WaitGroup(of: ClosedRange<ContinuousClock.Instant>.self, isolation: .threads(maximum: 4))
        for _ in 0..<4 {
            group.go {
                let start = ContinuousClock.now
                usleep(250_000)  // blocking: would starve the cooperative pool
                return start...ContinuousClock.now
            }
        }
        let spans = await group.wait().compactMap(\.value)
        try #require(spans.count == 4)
        let lastStart = spans.map(\.lowerBound).max()!
        let firstEnd = spans.map(\.upperBound).min()!
        #expect(lastStart < firstEnd, "the four blocking calls did not overlap")
    }

    @Test func threadIsolationReportsThrownErrorsPerSlot() async {
        let group = WaitGroup(of: Int.self, isolation: .threads)
        group.go { 1 }
        group.go { throw Lettered.seven }
        let results = await group.wait()
        #expect(results[0].value == 1)
        #expect(results[1].error?.code == 7)
    }

    @Test func threadIsolationHonoursItsBound() async {
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let group = WaitGroup(of: Int.self, isolation: .threads(maximum: 2))
        for index in 0..<8 {
            group.go {
                peak.max(running.add(1, ordering: .relaxed).newValue, ordering: .relaxed)
                usleep(5_000)
                running.subtract(1, ordering: .relaxed)
                return index
            }
        }
        #expect(await group.wait().map(\.value) == Array(0..<8))
        #expect(peak.load(ordering: .relaxed) <= 2)
    }
}

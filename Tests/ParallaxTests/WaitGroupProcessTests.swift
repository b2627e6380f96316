import ParallaxTestSupport
import ParallaxTestTasks
import Synchronization
import Testing

@testable import Parallax

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(2)))
struct WaitGroupProcessTests {
    @Test func slotsComeBackInSpawnOrderFromWorkerProcesses() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            #expect(group.count == 0)
            for value in [10, 20, 30] { try group.go(Echo(value)) }
            #expect(group.count == 3)
            #expect(await group.wait().map(\.value) == [10, 20, 30])
            #expect(group.count == 3)
        }
    }

    @Test func tasksRunInWorkersNotInTheCaller() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: Int32.self, isolation: .process(pool))
            for _ in 0..<4 { try group.go(WhoAmI()) }
            let pids = await group.wait().compactMap(\.value)
            #expect(pids.count == 4)
            #expect(!pids.contains(getpid()))
        }
    }

    @Test func waitOnAnEmptyProcessGroupReturnsAtOnce() async throws {
        try await TestPool.with { pool in
            #expect(await WaitGroup(of: Int.self, isolation: .process(pool)).wait().isEmpty)
        }
    }

    @Test func standardLibraryFunctionsNeedNoSetup() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: String.self, isolation: .process(pool))
            try group.go(TestTasks.reversed, "parallax")
            #expect(await group.wait().first?.value == "xallarap")
        }
    }

    @Test func staticMethodAndClosureRegistrationsBothRun() async throws {
        try await TestPool.with { pool in
            let stats = WaitGroup(of: Report.Stats.self, isolation: .process(pool))
            try stats.go(TestTasks.userStats, 42)
            try stats.go(TestTasks.userStats, 99)
            #expect(
                await stats.wait().map(\.value) == [
                    Report.Stats(userID: 42, orders: 126), Report.Stats(userID: 99, orders: 297),
                ])

            let squares = WaitGroup(of: Int.self, isolation: .process(pool))
            for x in 1...4 { try squares.go(TestTasks.square, x) }
            #expect(await squares.wait().map(\.value) == [1, 4, 9, 16])
            #expect(try await pool.submit(TestTasks.square, 12) == 144)
        }
    }

    @Test func argumentsAreSnapshotsTakenAtGo() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: [String].self, isolation: .process(pool))
            var task = Snapshot(number: 42, values: [1, 2, 3], tag: "orders")
            try group.go(task)
            task.number = 99
            task.values.append(4)
            task.tag = "junk"
            #expect(await group.wait().first?.value == ["orders=42", "1,2,3"])
        }
    }

    @Test func tasksCannotMutateTheCallersState() async throws {
        // The task bumps a global of the process it runs in; the caller's global is the same
        // code's, in the caller's process.
        let before = BumpProcessCounter.counter.load(ordering: .relaxed)
        try await TestPool.with(workers: 2) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            for _ in 0..<6 { try group.go(BumpProcessCounter()) }
            let counts = await group.wait().compactMap(\.value)
            #expect(counts.count == 6)
            #expect(counts.allSatisfy { $0 >= 1 })
        }
        #expect(BumpProcessCounter.counter.load(ordering: .relaxed) == before)
    }

    @Test func anInputWithNoWireFormIsASpawnErrorAtGo() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            let resource = #expect(throws: SpawnError.self) {
                try group.go(UseResource(resource: LiveResource(descriptor: 1)))
            }
            #expect(resource?.code == .unencodableInput)
            #expect(resource?.underlying != nil)
            let doubles = WaitGroup(of: Double.self, isolation: .process(pool))
            let error = #expect(throws: SpawnError.self) { try doubles.go(Scale(factor: .nan)) }
            #expect(error?.code == .unencodableInput)
            #expect(error?.taskName == Scale.taskName)
            #expect(group.count == 0 && doubles.count == 0)
            #expect(await group.wait().isEmpty)
        }
    }

    @Test func anUnregisteredTaskIsASpawnErrorAtGo() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            let error = #expect(throws: SpawnError.self) { try group.go(Unregistered()) }
            #expect(error?.code == .unregisteredTask)
            #expect(error?.taskName == Unregistered.taskName)
            #expect(error?.message.contains("Unregistered") == true)
            let unknown = TaskFunction("nobody.registered.this") { (x: Int) in x }
            #expect(throws: SpawnError.self) { try group.go(unknown, 1) }
            #expect(group.count == 0)
        }
    }

    @Test func oneThrowingTaskFailsOnlyItsSlotWithTypeMessageCodeAndTrace() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Echo(1))
            try group.go(Fail("shard 7 is full", code: 7))
            try group.go(Echo(3))
            let results = await group.wait()
            #expect(results[0].value == 1)
            #expect(results[2].value == 3)
            let error = try #require(results[1].error)
            #expect(error.kind == .threw)
            #expect(error.type == String(reflecting: QuotaExceeded.self))
            #expect(error.message == "quota exceeded: shard 7 is full")
            #expect(error.code == 7)
            #expect(error.trace.contains("QuotaExceeded"))
            #expect(error.trace.contains("worker pid"))
            #expect(error.workerPID != nil)
        }
    }

    @Test func differentErrorTypesSurviveTheBoundaryWithTheirOwnNames() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Fail("a", code: 1))
            try group.go(FailDifferently())
            let results = await group.wait()
            #expect(results[0].error?.type == String(reflecting: QuotaExceeded.self))
            #expect(results[1].error?.type == String(reflecting: ShardError.self))
            #expect(results[1].error?.message == "corrupt")
            #expect(results[1].error?.code == 13)
        }
    }

    @Test func largePayloadsRoundTripExactly() async throws {
        try await TestPool.with { pool in
            let rows = WaitGroup(of: [Row].self, isolation: .process(pool))
            try rows.go(Rows(count: 2_000))
            let table = try #require(await rows.wait().first?.value)
            #expect(table.count == 2_000)
            #expect(table == (0..<2_000).map { Row(id: $0, name: "row-\($0)", score: Double($0) / 4) })

            let text = WaitGroup(of: String.self, isolation: .process(pool))
            try text.go(Text(length: 250_000, seed: 11))
            let received = try #require(await text.wait().first?.value)
            #expect(received.utf8.count == 250_000)
            #expect(Self.digest(received) == Self.digest(Text.make(length: 250_000, seed: 11)))

            let nested = WaitGroup(of: Tree.self, isolation: .process(pool))
            try nested.go(Nest(depth: 32))
            #expect(await nested.wait().first?.value == Tree.chain(depth: 32))
        }
    }

    @Test func sleepingTasksOverlapInTime() async throws {
        try await TestPool.with(workers: 4) { pool in
            // Warm every worker first, so that the measurement is of the tasks, not of spawning.
            let warm = WaitGroup(of: Int.self, isolation: .process(pool))
            for _ in 0..<4 { try warm.go(Sleep(milliseconds: 50)) }
            _ = await warm.wait()

            // Each task reports when it slept on the clock all processes share: four idle
            // workers take them at once, so some instant lies inside every one of them.
            let group = WaitGroup(of: Probe.self, isolation: .process(pool))
            for _ in 0..<4 { try group.go(TestTasks.probe, 250) }
            let probes = await group.wait().compactMap(\.value)
            try #require(probes.count == 4)
            #expect(Set(probes.map(\.pid)).count == 4)
            let lastStart = probes.map(\.start).max()!
            let firstEnd = probes.map(\.end).min()!
            #expect(lastStart < firstEnd, "the four sleeps did not overlap: \(probes)")
        }
    }

    @Test(
        .enabled(
            if: WorkerPool.Configuration.activeProcessorCount >= 2, "needs two processors to run in parallel")
    )
    func tasksOnTwoWorkersRunAtTheSameTime() async throws {
        try await TestPool.with(workers: 2) { pool in
            await pool.waitForStartedWorkers(2)
            // Each task sleeps long enough that two sent together overlap on any machine; each
            // reports its own start and end on the system's monotonic clock.
            let group = WaitGroup(of: Probe.self, isolation: .process(pool))
            for _ in 0..<2 { try group.go(TestTasks.probe, 500) }
            let probes = try await group.wait().map { try $0.result.get() }
            #expect(Set(probes.map(\.pid)).count == 2, "the two tasks ran in two workers")
            #expect(probes[0].start < probes[1].end && probes[1].start < probes[0].end, "\(probes)")
        }
    }

    @Test func aThousandSpawnsThroughWorkersAllSucceedInOrder() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            for index in 0..<1_000 { try group.go(Echo(index)) }
            let results = await group.wait()
            #expect(results.allSatisfy { $0.ok })
            #expect(results.map(\.value) == Array(0..<1_000))
        }
    }

    @Test func structurallyIdenticalTasksWithDifferentCapturesReturnTheirOwnResults() async throws {
        try await TestPool.with { pool in
            let group = WaitGroup(of: [String].self, isolation: .process(pool))
            for (index, tag) in ["a", "b", "c", "d"].enumerated() {
                try group.go(Snapshot(number: index, values: [index], tag: tag))
            }
            #expect(
                await group.wait().map(\.value) == [
                    ["a=0", "0"], ["b=1", "1"], ["c=2", "2"], ["d=3", "3"],
                ])
        }
    }

    @Test func aResultThatCannotBeEncodedFailsItsSlotClearly() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: LiveResource.self, isolation: .process(pool))
            try group.go(NotANumber())
            let results = await group.wait()
            let error = try #require(results[0].error)
            #expect(error.reason == .resultNotEncodable)
            #expect(error.message.contains("cannot be encoded"))
            #expect(error.message.contains("no wire form"))
            let doubled = try await pool.submit(Scale(factor: 2))
            #expect(doubled == 4)
        }
    }

    @Test func theGroupLimitBoundsTasksHandedToThePool() async throws {
        try await TestPool.with(workers: 2) { pool in
            let group = WaitGroup(of: Probe.self, isolation: .process(pool), limit: 1)
            for _ in 0..<3 { try group.go(TestTasks.probe, 20) }
            let probes = try await group.wait().map { try $0.result.get() }
            // With a limit of 1 the three tasks never overlap even though two workers are free.
            for (earlier, later) in zip(probes, probes.dropFirst()) {
                #expect(earlier.end <= later.start, "\(probes)")
            }
        }
    }

    @Test func aSubmittedTaskIsCancelledWhenItsCallerIs() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger) { pool in
            let caller = Task { try await pool.submit(ChatterThenHang(marker: "hanging")) }
            await store.waitFor("stdout hanging")
            // The worker is busy with the hung task: an echo queues behind it.
            let queued = Task { try await pool.submit(Echo(5)) }
            caller.cancel()
            let error = await #expect(throws: TaskError.self) { try await caller.value }
            #expect(error?.kind == .cancelled)
            let echoed = try await queued.value
            #expect(echoed == 5)
        }
    }

    @Test func goNeverBlocksEvenWhenEveryWorkerIsBusy() async throws {
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            // The only worker hangs until cancelled: a `go` that waited for a free worker would
            // never return.
            try group.go(Hang())
            for value in 0..<50 { try group.go(Echo(value)) }
            #expect(group.count == 51)
            group.cancelAll()
            let results = await group.wait()
            #expect(results.count == 51)
            #expect(results.allSatisfy { $0.error?.kind == .cancelled })
        }
    }

    @Test func aCancelledTaskThatHonoursCancellationKeepsItsWorker() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.stopGracePeriod = .seconds(30)
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) { pool in
            let before = try await pool.submit(WhoAmI())
            // Sleep honours cancellation: the worker stops it and stays. `go` sends it before it
            // returns, so the cancel follows it on the channel.
            let sleeper = WaitGroup(of: Int.self, isolation: .process(pool))
            try sleeper.go(Sleep(milliseconds: 60_000))
            sleeper.cancelAll()
            #expect(await sleeper.wait().first?.error?.kind == .cancelled)
            let after = try await pool.submit(WhoAmI())
            #expect(after == before, "the worker cancelled its task cooperatively and was kept")
        }
    }

    @Test func aCancelledTaskThatIgnoresCancellationIsKilledWhenTheGracePeriodEnds() async throws {
        let clock = ManualClock()
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger, clock: clock) {
            $0.stopGracePeriod = .milliseconds(200)
        } _: { pool in
            let before = try await pool.submit(WhoAmI())
            let hung = WaitGroup(of: Int.self, isolation: .process(pool))
            try hung.go(ChatterThenHang(marker: "hanging"))
            await store.waitFor("stdout hanging")  // it runs, and will not look at cancellation
            hung.cancelAll()
            // Answered at once; its worker gets the grace period to stop the task itself.
            #expect(await hung.wait().first?.error?.kind == .cancelled)
            let kill = clock.now + .milliseconds(200)
            await clock.waitForAlarm(atOrBefore: kill)
            clock.advance(by: .milliseconds(199))
            #expect(pool.storage.timers.pendingDeadlines.contains(kill))
            #expect(
                !ProcessWatch.ends(before, within: .zero),
                "the worker was killed before its grace period ended")
            clock.advance(by: .milliseconds(1))
            #expect(ProcessWatch.ends(before, within: .seconds(10)))
            let after = try await pool.submit(WhoAmI())
            #expect(after != before, "a task that ignores cancellation costs its worker")
        }
    }

    static func digest(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

import Logging
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// phalanx/parallel's own checks, on a real pool.
@Suite(.timeLimit(.minutes(1)))
struct PoolBasicsTests {
    @Test func addRunsInATwoWorkerPoolAndKeepsTheIntegerType() async throws {
        let sum = try await TestPool.with { pool in try await pool.submit(Add(2, 3)) }
        #expect(sum == 5)
    }

    @Test func durationsLongerThanTheClockCanCountAreAsGoodAsEndless() async throws {
        let endless = Duration.seconds(Int64.max)
        let configure: (inout WorkerPool.Configuration) -> Void = { configuration in
            configuration.taskTimeout = endless
            configuration.stopGracePeriod = endless
            configuration.inlineReplyWait = endless
            configuration.inlineReplyPolling = endless
            configuration.serviceCallTimeout = endless
        }
        let sum = try await TestPool.with(workers: 1, configure: configure) { pool in
            try await pool.submit(Add(2, 3), timeout: endless)
        }
        #expect(sum == 5)
    }

    @Test func aCPUTaskSumsARange() async throws {
        let sum = try await TestPool.with { pool in try await pool.submit(SumRange(100)) }
        #expect(sum == 4_950)
    }

    @Test func threeTasksInARowOnOnePoolReturnTheirOwnValues() async throws {
        try await TestPool.with { pool in
            var results: [Int] = []
            for (a, b) in [(1, 2), (3, 4), (5, 6)] { results.append(try await pool.submit(Add(a, b))) }
            #expect(results == [3, 7, 11])
        }
    }

    @Test func aTaskCancelledWhileQueuedNeverRuns() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger) { pool in
            _ = try await pool.submit(Echo(0))
            // `go` hands tasks to the pool before it returns: the sleep goes to the idle worker,
            // and the chatter waits in the pool's queue behind it.
            let busy = WaitGroup(of: Int.self, isolation: .process(pool))
            try busy.go(Sleep(milliseconds: 200))
            let queued = WaitGroup(of: String.self, isolation: .process(pool))
            try queued.go(Chatter(marker: "queued-and-cancelled"))
            queued.cancelAll()
            #expect(await queued.wait().first?.error?.kind == .cancelled)
            #expect(await busy.wait().first?.value == 200)
            let echoed = try await pool.submit(Echo(1))
            #expect(echoed == 1)
        }
        #expect(!store.messages.contains("stdout queued-and-cancelled"))
    }

    @Test func aTaskThatCrashesItsWorkerRunsOnce() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 2, logger: logger) { pool in
            await #expect(throws: TaskError.self) {
                try await pool.submit(ChatterThenCrash(marker: "poison"))
            }
            let echoed1 = try await pool.submit(Echo(1))
            #expect(echoed1 == 1)
        }
        #expect(store.messages.filter { $0 == "stdout poison" }.count == 1)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct RetryTests {
    static func counterPath() -> String {
        "/tmp/parallax-retry-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    }

    @Test func aCrashingTaskIsNotRetriedByDefault() async throws {
        let path = Self.counterPath()
        defer { unlink(path) }
        try await TestPool.with(workers: 1) { pool in
            let error = await #expect(throws: TaskError.self) {
                try await pool.submit(CrashUntil(path: path, succeedOn: 2))
            }
            #expect(error?.kind == .crashed)
        }
        #expect(CrashUntil.count(path) == 1)
    }

    @Test func aRetryPolicyRunsACrashingTaskAgainUpToItsLimit() async throws {
        let path = Self.counterPath()
        defer { unlink(path) }
        try await TestPool.with(workers: 1) { pool in
            let runs = try await pool.submit(CrashUntil(path: path, succeedOn: 3), retry: .attempts(3))
            #expect(runs == 3)
        }
        let again = Self.counterPath()
        defer { unlink(again) }
        try await TestPool.with(workers: 1) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(CrashUntil(path: again, succeedOn: 5), retry: .attempts(2))
            #expect(await group.wait().first?.error?.kind == .crashed)
        }
        #expect(CrashUntil.count(again) == 2)
    }
}

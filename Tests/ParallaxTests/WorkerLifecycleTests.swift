import Logging
import Parallax
import ParallaxTestSupport
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(2)))
struct WorkerLifecycleTests {
    @Test func whatATaskPrintsReachesTheParentsLogAndNeverTheChannel() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger) { pool in
            let first = try await pool.submit(Chatter(marker: "first"))
            let second = try await pool.submit(Chatter(marker: "second"))
            #expect(first == "first")
            #expect(second == "second")
            #expect(try await pool.submit(Echo(7)) == 7)
        }
        // The pool has shut down: the workers' output streams were drained to the end.
        let entries = store.entries.withLock { $0 }
        let stdout = entries.filter { $0.metadata["parallax.stream"] == "stdout" }.map(\.message)
        let stderr = entries.filter { $0.metadata["parallax.stream"] == "stderr" }.map(\.message)
        #expect(stdout.contains("stdout first"))
        #expect(stdout.contains("stdout second"))
        #expect(stderr.contains("stderr first"))
        #expect(stderr.contains("stderr second"))
        let tagged = entries.first { $0.message == "stdout first" }
        #expect(tagged?.metadata["parallax.worker.pid"] != nil)
        #expect(tagged?.metadata["parallax.worker.slot"] == "0")
    }

    @Test func theBootstrapRunsOncePerWorkerProcess() async throws {
        try await TestPool.with(workers: 1) { pool in
            for _ in 0..<5 { _ = try await pool.submit(Echo(1)) }
            #expect(try await pool.submit(BootstrapCount()) == 1)
        }
    }

    @Test func aFailingBootstrapIsReportedAndTasksAreRejectedNotHung() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(
            workers: 2,
            environment: [TestTasks.failBootstrapVariable: "1"],
            logger: logger
        ) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Echo(1))
            try group.go(Echo(2))
            let results = await group.wait()
            for result in results {
                let error = try #require(result.error)
                #expect(error.kind == .rejected)
                #expect(error.message.contains("bootstrap refused: the test asked the bootstrap to fail"))
            }
        }
        #expect(store.messages.contains { $0.contains("worker failed to start") })
    }

    @Test func aWorkerWithADifferentRegistryIsRefusedAndThePoolStops() async throws {
        var tasks = TestTasks.registry
        tasks.register(TaskFunction("only.in.the.parent") { (x: Int) in x })
        var configuration = TestPool.configuration(workers: 1)
        configuration.restartBackoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(10))
        let quiet = Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }
        var stopped: WorkerPoolError?
        do {
            try await WorkerPool.withPool(configuration: configuration, tasks: tasks, logger: quiet) { pool in
                let error = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
                #expect(error?.kind == .rejected)
                #expect(error?.message.contains("none of them the pool's") == true, "\(error?.message ?? "")")
            }
        } catch let error as WorkerPoolError {
            stopped = error
        }
        #expect(stopped?.code == .registryMismatch)
    }

    @Test func shutdownStopsTheIntakeBeforeItReturnsEvenBeforeThePoolRuns() async throws {
        // Nothing runs the pool's own tasks yet: a task is refused only if `shutdown()` itself
        // stopped the intake (it would otherwise wait in the queue for a worker that never comes).
        let pool = WorkerPool(configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry)
        pool.shutdown()
        let late = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
        #expect(late?.kind == .rejected)
        #expect(late?.reason == .poolShuttingDown)
        try await pool.run()  // starts no worker and returns
    }

    @Test func shutdownRejectsQueuedTasksAndLetsTheRunningOneFinish() async throws {
        // One task per worker at a time: the second waits in the pool, not in the worker.
        let pool = WorkerPool(configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            // Once the worker has answered, it is idle: the sleep below is sent to it inside `go`,
            // and the echo queues behind it.
            _ = try await pool.submit(Echo(0))
            let running = WaitGroup(of: Int.self, isolation: .process(pool))
            try running.go(Sleep(milliseconds: 300))
            try running.go(Echo(2))
            pool.shutdown()
            let results = await running.wait()
            #expect(results[0].value == 300)
            #expect(results[1].error?.kind == .rejected)
            let late = await #expect(throws: TaskError.self) { try await pool.submit(Echo(3)) }
            #expect(late?.kind == .rejected)
            try await group.waitForAll()
        }
    }

    @Test func runningAPoolTwiceIsATypedError() async throws {
        try await TestPool.with(workers: 1) { pool in
            // Once a task was answered, the pool's own run() is under way.
            _ = try await pool.submit(Echo(1))
            let error = await #expect(throws: WorkerPoolError.self) { try await pool.run() }
            #expect(error?.code == .alreadyRunning)
        }
    }

    @Test func shutdownLeavesNoWorkerProcessBehind() async throws {
        let pids = try await TestPool.with(workers: 3) { pool in
            let group = WaitGroup(of: Int32.self, isolation: .process(pool))
            for _ in 0..<3 { try group.go(WhoAmISlowly()) }
            return await group.wait().compactMap(\.value)
        }
        #expect(Set(pids).count == 3)
        for pid in pids { #expect(!ProcessWatch.isAlive(pid), "worker \(pid) outlived its pool") }
    }

    @Test func tasksSentAheadRunInOrderAndAllAnswer() async throws {
        var configuration = TestPool.configuration(workers: 2)
        configuration.pipelineDepth = 8
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            for value in 0..<2_000 { try group.go(Echo(value)) }
            #expect(await group.wait().map(\.value) == Array(0..<2_000))
        }
    }

    @Test func aCrashFailsOnlyTheRunningTaskAndTheTasksSentAheadRunElsewhere() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.pipelineDepth = 4
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) { pool in
            _ = try await pool.submit(Echo(0))  // the worker is up, so the next four are sent to it at once
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Crash(.fatalError))
            for value in 1...3 { try group.go(Echo(value)) }
            let results = await group.wait()
            #expect(results[0].error?.kind == .crashed)
            #expect(results.dropFirst().map(\.value) == [1, 2, 3])
        }
    }

    @Test func aCancelledTaskThatWasSentAheadNeverRuns() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.pipelineDepth = 2
        let (logger, store) = CapturingLogHandler.logger()
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry, logger: logger)
        { pool in
            _ = try await pool.submit(Echo(0))
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Sleep(milliseconds: 300))
            let chatter = WaitGroup(of: String.self, isolation: .process(pool))
            try chatter.go(Chatter(marker: "must-not-run"))
            chatter.cancelAll()
            let skipped = await chatter.wait()
            #expect(skipped.first?.error?.kind == .cancelled)
            #expect(await group.wait().first?.value == 300)
            let echoed = try await pool.submit(Echo(5))
            #expect(echoed == 5)
        }
        #expect(!store.messages.contains("stdout must-not-run"))
    }

    @Test func aFullMailboxFailsASubmitAtOnceOrMakesItWaitForRoom() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.mailboxLimit = 2
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) { pool in
            _ = try await pool.submit(Echo(0))  // the worker is ready: the sleep below runs at once
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Sleep(milliseconds: 300))
            try group.go(Echo(1))
            try group.go(Echo(2))
            try group.go(Echo(3))  // a WaitGroup never blocks: this slot gets the overflow
            let overflow = await #expect(throws: TaskError.self) { try await pool.submit(Echo(4)) }
            #expect(overflow?.kind == .rejected)
            #expect(overflow?.reason == .mailboxFull)
            let waited = try await pool.submit(Echo(5), whenFull: .wait)
            #expect(waited == 5)
            let results = await group.wait()
            #expect(results.prefix(3).map(\.value) == [300, 1, 2])
            #expect(results[3].error?.reason == .mailboxFull)
        }
    }

    @Test func aDrainingShutdownRunsQueuedTasksWithinTheGracePeriodAndRejectsTheRest() async throws {
        let clock = ManualClock()
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger, clock: clock) {
            $0.queuedTasksOnShutdown = .drain
            $0.gracefulShutdownTimeout = .milliseconds(600)
        } _: { pool in
            _ = try await pool.submit(Echo(0))
            let quick = WaitGroup(of: Int.self, isolation: .process(pool))
            try quick.go(Echo(1))
            try quick.go(Echo(2))
            let slow = WaitGroup(of: Int.self, isolation: .process(pool))
            for _ in 0..<2 { try slow.go(ChatterThenHang(marker: "hanging")) }
            pool.shutdown()
            // The queued echoes run, then the first hang; the second waits behind it.
            #expect(await quick.wait().map(\.value) == [1, 2])
            await store.waitFor("stdout hanging")
            await clock.waitForAlarm(atOrBefore: .milliseconds(600))
            clock.advance(by: .milliseconds(599))
            #expect(pool.workers.first?.tasksHeld == 1)
            clock.advance(by: .milliseconds(1))
            // The grace period is over: the running hang is answered, the queued one rejected.
            let results = await slow.wait()
            #expect(results[0].error?.kind == .cancelled)
            #expect(results[0].error?.reason == .poolShuttingDown)
            #expect(results[1].error?.kind == .rejected)
            #expect(results[1].error?.reason == .poolShuttingDown)
            // The channel closed; the hung worker goes at the force timeout, with SIGTERM.
            await clock.advanceWhenSet(by: pool.configuration.forceShutdownTimeout)
        }
    }

    @Test func aPoolShutDownWhileItsWorkersStartEndsWithoutWaitingForTheForceTimeout() async throws {
        // On a clock that never moves, a shutdown that needed the force timeout would never end.
        for _ in 0..<3 {
            let clock = ManualClock()
            try await TestPool.with(workers: 4, clock: clock) { _ in }
            #expect(clock.now == .zero)
        }
    }

    @Test func cancellingTheTaskThatRunsThePoolStopsItAndItsWorkers() async throws {
        var configuration = TestPool.configuration(workers: 2)
        configuration.gracefulShutdownTimeout = .milliseconds(200)
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        let running = Task { try await pool.run() }
        await pool.waitForStartedWorkers(2)
        let pids = try await [pool.submit(WhoAmI()), pool.submit(WhoAmI())]
        let hung = WaitGroup(of: Int.self, isolation: .process(pool))
        try hung.go(Hang())
        running.cancel()
        try await running.value
        // The hung task was answered when the grace period ended; no worker is left.
        #expect(await hung.wait().first?.error?.kind == .cancelled)
        for pid in Set(pids) { #expect(!ProcessWatch.isAlive(pid)) }
    }

    struct BodyFailed: Error {}

    @Test func withPoolRethrowsTheBodysErrorAfterShuttingThePoolDown() async throws {
        let pids = Locked<[Int32]>([])
        await #expect(throws: BodyFailed.self) {
            try await TestPool.with(workers: 1) { pool in
                let pid = try await pool.submit(WhoAmI())
                pids.withLock { $0.append(pid) }
                throw BodyFailed()
            }
        }
        for pid in pids.withLock({ $0 }) { #expect(!ProcessWatch.isAlive(pid)) }
    }
}

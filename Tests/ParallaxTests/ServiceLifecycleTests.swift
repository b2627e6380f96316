import Logging
import Parallax
import ParallaxTestTasks
import ServiceLifecycle
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(1)))
struct ServiceLifecycleTests {
    @Test func aPoolRunsInAServiceGroupAndDrainsOnGracefulShutdown() async throws {
        let quiet = Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }
        var configuration = TestPool.configuration(workers: 2)
        configuration.queuedTasksOnShutdown = .drain
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry, logger: quiet)
        let group = ServiceGroup(services: [pool], logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await pool.submit(Add(20, 22)) == 42)
            let work = WaitGroup(of: Int.self, isolation: .process(pool))
            for _ in 0..<4 { try work.go(Sleep(milliseconds: 100)) }
            await group.triggerGracefulShutdown()
            // Graceful shutdown lets the running and queued tasks finish, then the group ends.
            let results = await work.wait()
            #expect(
                results.map(\.value) == [100, 100, 100, 100],
                "\(results.map { $0.error?.description ?? "ok" })")
            try await tasks.waitForAll()
            let late = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
            #expect(late?.kind == .rejected)
        }
    }

    enum DrainHitch: String, CaseIterable, Sendable {
        /// Every worker is replaced after one task.
        case recycling
        /// The worker of the running task is killed.
        case crash
    }

    /// A draining shutdown replaces the workers that end while tasks are still queued; it used to
    /// stop replacing them, and the queued tasks waited out the graceful timeout to be rejected.
    @Test(arguments: DrainHitch.allCases)
    func aDrainingShutdownReplacesWorkersThatEndWhileTasksAreQueued(_ hitch: DrainHitch) async throws {
        // The first task waits in a service call of the parent until the shutdown has begun.
        let called = Latch()
        let release = Latch()
        var services = ServiceRegistry()
        services.register(TestServices.echo) { text in
            called.set()
            _ = await release.wait()
            return text
        }
        var configuration = TestPool.configuration(workers: 1)
        configuration.queuedTasksOnShutdown = .drain
        configuration.gracefulShutdownTimeout = .seconds(30)
        if hitch == .recycling { configuration.recycling = Recycling(maximumTasks: 2) }
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, services: services,
            logger: Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await pool.run() }
            let worker = try await pool.submit(WhoAmI())
            let first = WaitGroup(of: CallOutcome.self, isolation: .process(pool))
            try first.go(CallService(.echo("first")))
            _ = await called.wait()
            let queued = WaitGroup(of: Int.self, isolation: .process(pool))
            for value in 1...3 { try queued.go(Echo(value)) }
            pool.shutdown()
            switch hitch {
            case .recycling: release.set()  // the worker answers its second task and is replaced
            case .crash: kill(worker, SIGKILL)
            }
            let results = try await within(.seconds(20)) { await queued.wait() }
            let outcomes = try #require(results)
            #expect(outcomes.map(\.value) == [1, 2, 3], "\(outcomes)")
            let firstOutcome = await first.wait()[0]
            #expect(firstOutcome.value?.value == (hitch == .crash ? nil : "first"), "\(firstOutcome)")
            release.set()
            try await tasks.waitForAll()
        }
    }
}

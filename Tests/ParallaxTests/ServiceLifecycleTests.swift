import Logging
import Parallax
import ParallaxTestTasks
import ServiceLifecycle
import Testing

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
}

import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(2)))
struct ResourceLimitTests {
    static func pool<Result>(
        _ limits: ResourceLimits, _ body: (WorkerPool) async throws -> Result
    ) async throws -> Result {
        var configuration = TestPool.configuration(workers: 1)
        configuration.resourceLimits = limits
        return try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry, body)
    }

    @Test(
        .disabled(if: Sanitizer.isActive, "a memory limit leaves no room for the sanitizer's shadow memory"))
    func aTaskThatBlowsTheMemoryLimitFailsItsSlotAndSaysSo() async throws {
        try await Self.pool(ResourceLimits(memoryBytes: 128 << 20)) { pool in
            let error = await #expect(throws: TaskError.self) { try await pool.submit(Fill(megabytes: 400)) }
            #expect(error?.kind == .crashed)
            #expect(error?.reason == .outOfMemory)
            #expect(
                error?.message.contains("ran out of memory (limit 128 MiB)") == true,
                "\(error?.message ?? "")")
            let small = try await pool.submit(Fill(megabytes: 8))
            #expect(small == 8)
        }
    }

    @Test func aTaskThatRunsPastTheCPULimitFailsItsSlotAndSaysSo() async throws {
        try await Self.pool(ResourceLimits(cpuSeconds: 1)) { pool in
            let error = await #expect(throws: TaskError.self) {
                try await pool.submit(Spin(iterations: 50_000_000_000))
            }
            #expect(error?.reason == .cpuLimitExceeded)
            #expect(error?.termination == .signaled(SIGXCPU))
            let echoed = try await pool.submit(Echo(3))
            #expect(echoed == 3)
        }
    }

    @Test func theOpenFileLimitHoldsInsideTasks() async throws {
        try await Self.pool(ResourceLimits(openFiles: 32)) { pool in
            let opened = try await pool.submit(OpenFiles(count: 100))
            #expect(opened > 0 && opened < 32)
        }
    }
}

import Logging
import Parallax
import ParallaxTestTasks
import Testing

/// One executable, several pools, each with a registry of its own: the test worker serves both
/// ``TestTasks/registry`` and ``TestTasks/secondRegistry``, and each pool's workers serve its own.
@Suite(.timeLimit(.minutes(1)))
struct RegistryChoiceTests {
    static let quiet = Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() }

    @Test func twoPoolsWithTheirOwnRegistriesRunFromOneWorkerExecutable() async throws {
        try await WorkerPool.withPool(
            configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry, logger: Self.quiet
        ) { full in
            try await WorkerPool.withPool(
                configuration: TestPool.configuration(workers: 1), tasks: TestTasks.secondRegistry,
                logger: Self.quiet
            ) { small in
                #expect(try await full.submit(Add(2, 3)) == 5)
                #expect(try await small.submit(Echo(7)) == 7)
                let (one, other) = (try await full.submit(WhoAmI()), try await small.submit(WhoAmI()))
                #expect(one != other)
                let refused = await #expect(throws: SpawnError.self) { try await small.submit(Add(1, 1)) }
                #expect(refused?.code == .unregisteredTask)
            }
        }
    }

    @Test func aPoolWhoseRegistryTheWorkersDoNotServeStopsAtOnceWithATypedError() async throws {
        let pool = WorkerPool(
            configuration: TestPool.configuration(workers: 2), tasks: TaskRegistry(Add.self, Text.self),
            logger: Self.quiet)
        let error = await #expect(throws: WorkerPoolError.self) { try await pool.run() }
        #expect(error?.code == .registryMismatch)
        #expect(error?.message.contains("serves the task registries") == true, "\(error?.message ?? "")")
        let refused = await #expect(throws: TaskError.self) { try await pool.submit(Add(1, 1)) }
        #expect(refused?.kind == .rejected)
    }
}

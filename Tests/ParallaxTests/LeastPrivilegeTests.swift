import CoreMetrics
import Logging
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a worker can reach of its parent: descriptors, environment, user and privileges.
@Suite(.timeLimit(.minutes(2)))
struct LeastPrivilegeTests {
    @Test func workersInheritNoDescriptorOfTheParentButTheirChannelAndStdio() async throws {
        let path = "/tmp/parallax-fd-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        // Opened without O_CLOEXEC, as careless code in an application would.
        let descriptor = open(path, O_CREAT | O_RDWR, 0o600)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(path)
        }
        let targets = try await TestPool.with(workers: 1) { pool in try await pool.submit(OpenDescriptors()) }
        #expect(!targets.isEmpty)
        #expect(!targets.contains(path), "the worker can reach a file the parent holds open")
    }

    /// A variable of the parent, as a secret would be: the pool sees this process's environment
    /// with it added (the process's own environment is not changed while other tests run).
    static let secret: (name: String, value: String) = ("PARALLAX_TEST_SECRET", "hunter2")

    static func environment(_ choice: WorkerEnvironment) async throws -> [String: String] {
        var configuration = TestPool.configuration(workers: 1)
        configuration.environment = choice
        var hooks = WorkerPool.TestHooks()
        hooks.parentEnvironment = WorkerEnvironment.current.merging([secret.name: secret.value]) { $1 }
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, services: ServiceRegistry(),
            logger: Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() },
            metricsFactory: NOOPMetricsHandler.instance, hooks: hooks)
        return try await pool.running { pool in try await pool.submit(Environment()) }
    }

    @Test func byDefaultWorkersInheritTheParentsEnvironment() async throws {
        let variables = try await Self.environment(.inherit)
        #expect(variables[Self.secret.name] == Self.secret.value)
        #expect(variables["PATH"] == String(cString: getenv("PATH")))
    }

    @Test func anAllowlistPassesOnlyTheNamedVariables() async throws {
        let variables = try await Self.environment(
            .allowlist(["PATH"], adding: ["REPORT_DIR": "/tmp/reports"]))
        #expect(variables[Self.secret.name] == nil)
        #expect(variables["PATH"] == String(cString: getenv("PATH")))
        #expect(variables["REPORT_DIR"] == "/tmp/reports")
        #expect(variables["HOME"] == nil)
    }

    @Test func inheritingCanKeepNamedSecretsOut() async throws {
        var choice = WorkerEnvironment.inherit(removing: [Self.secret.name])
        choice["MODE"] = "batch"
        let variables = try await Self.environment(choice)
        #expect(variables[Self.secret.name] == nil)
        #expect(variables["PATH"] != nil)
        #expect(variables["MODE"] == "batch")
    }

    @Test func anExactEnvironmentHoldsOnlyItsVariablesAndThePoolsOwn() async throws {
        let variables = try await Self.environment(.exactly(["ONLY": "this"]))
        let own = variables.keys.filter { !$0.hasPrefix("PARALLAX_") && $0 != "SWIFT_BACKTRACE" }
        #expect(own == ["ONLY"])
        #expect(variables["ONLY"] == "this")
    }

    @Test func workersCanBeBarredFromGainingPrivileges() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.privileges = .noNewPrivileges
        let answer = try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) {
            pool in try await pool.submit(Credentials())
        }
        #expect(answer.noNewPrivileges)
        #expect(answer.userID == getuid())
    }

    @Test(.enabled(if: getuid() == 0, "switching user needs a parent that runs as root"))
    func workersOfARootParentCanRunAsAnotherUser() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.privileges = .user(65534, group: 65534)
        let answer = try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) {
            pool in try await pool.submit(Credentials())
        }
        #expect(answer.userID == 65534)
        #expect(answer.groupID == 65534)
        #expect(answer.supplementaryGroups == 0)
        #expect(answer.noNewPrivileges)
    }

    @Test func aWorkerThatCannotApplyItsPrivilegesFailsToStartAndTasksAreRejected() async throws {
        var configuration = TestPool.configuration(workers: 1)
        // Not root: switching user fails. Root: switching to an id and back is impossible, so the
        // worker is asked for a user it may not become after dropping root: none exists above
        // 2^32 - 2, and (uid_t)-1 means "unchanged" to setuid, so 4294967295 fails with EINVAL.
        configuration.privileges = WorkerPrivileges(userID: 4_294_967_295)
        let error = try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) {
            pool in await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
        }
        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("switch to user") == true, "\(error?.message ?? "")")
    }

    @Test func aWorkerRunsOnlyRegisteredNamesAndAnswersOthersWithATypedError() async throws {
        // The parent's own checks never send an unknown name; this plays a parent that does.
        let stream = FrameStream()
        let launch = WorkerExecutable.path(TestPool.workerPath).launch(environment: [:])
        let worker = try WorkerProcess(
            launch: launch, slot: 0, maximumPayloadSize: 1 << 20,
            logger: Logger(label: "parallax.test") { _ in SwiftLogNoOpLogHandler() },
            delegate: stream)
        var replies = stream.frames.makeAsyncIterator()
        let hello = try #require(await replies.next())
        #expect(hello.kind == .hello)

        worker.enqueue(
            kind: .run, id: 1, payload: try RunRequest.payload(name: "no.such.task", input: 7), sequence: nil)
        _ = worker.flush()
        let reply = try #require(await replies.next())
        #expect(reply.kind == .failure)
        #expect(reply.id == 1)
        let error = try WireCodec.decode(TaskError.self, from: reply.payload)
        #expect(error.kind == .rejected)
        #expect(error.reason == .unregisteredTask)
        #expect(error.message.contains("no.such.task"))

        // The worker is still serving: a registered task runs.
        let echo = try RunRequest.payload(name: Echo.taskName, input: Echo(3))
        worker.enqueue(kind: .run, id: 2, payload: echo, sequence: nil)
        _ = worker.flush()
        let answer = try #require(await replies.next())
        #expect(answer.kind == .result)
        #expect(try WireCodec.decode(Int.self, from: answer.payload) == 3)
        worker.closeRequests()
        var ends = stream.exits.makeAsyncIterator()
        let report = try #require(await ends.next())
        #expect(report.termination == .exited(0))
    }
}

import Logging
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The parent side of the test services: what the handlers saw, and events to wait for.
final class ServiceHost: Sendable {
    enum Event: Sendable, Equatable {
        case slowStarted
        case slowCancelled
        case echoed
    }

    let recorded = Locked<[TestServices.Recorded]>([])
    let notes = Locked<[String]>([])
    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation

    init() {
        (events, sink) = AsyncStream.makeStream(of: Event.self)
    }

    var registry: ServiceRegistry {
        var registry = ServiceRegistry()
        registry.register(TestServices.echo) { [sink] text in
            sink.yield(.echoed)
            return "parent: \(text)"
        }
        registry.register(TestServices.fail) { code in
            throw QuotaExceeded(code: code, detail: "the parent refused \(code)")
        }
        // The shapes of a method that answers nothing: a handler that returns nothing, one that
        // only throws; neither needs its closure type spelled out.
        registry.register(TestServices.note) { [self] text in self.notes.withLock { $0.append(text) } }
        registry.register(TestServices.refuse) { code in
            throw QuotaExceeded(code: code, detail: "the parent refused \(code)")
        }
        registry.register(TestServices.slow) { [sink] milliseconds in
            sink.yield(.slowStarted)
            do {
                try await Task.sleep(for: .milliseconds(milliseconds))
            } catch {
                sink.yield(.slowCancelled)
                throw error
            }
            return milliseconds
        }
        registry.register(TestServices.record) { [self] call in
            self.recorded.withLock { recorded in
                recorded.append(call)
                return recorded.count { $0.caller == call.caller }
            }
        }
        return registry
    }

    /// Waits for `event`.
    func waitFor(_ event: Event) async {
        for await seen in events where seen == event { return }
    }

    func withPool<Result>(
        workers: Int = 1, serviceCallTimeout: Duration? = nil, _ body: (WorkerPool) async throws -> Result
    ) async throws -> Result {
        var configuration = TestPool.configuration(workers: workers)
        if let serviceCallTimeout { configuration.serviceCallTimeout = serviceCallTimeout }
        return try await WorkerPool.withPool(
            configuration: configuration, tasks: TestTasks.registry, services: registry, body)
    }
}

/// The service proxy: worker code calls services that live in the parent.
@Suite(.timeLimit(.minutes(2)))
struct ServiceProxyTests {
    @Test func aTaskCallsAParentServiceAndGetsItsAnswer() async throws {
        let outcome = try await ServiceHost().withPool { pool in
            try await pool.submit(CallService(.echo("hello")))
        }
        #expect(outcome.value == "parent: hello")
        #expect(outcome.error == nil)
    }

    @Test func aDefaultDeadlineLongerThanTheClockCanCountIsAsGoodAsNone() async throws {
        let outcome = try await ServiceHost().withPool(serviceCallTimeout: .seconds(Int64.max)) { pool in
            try await pool.submit(CallService(.echo("far")))
        }
        #expect(outcome.value == "parent: far")
    }

    @Test func anErrorThrownByTheParentReachesTheTaskTyped() async throws {
        let outcome = try await ServiceHost().withPool { pool in
            try await pool.submit(CallService(.fail(code: 42)))
        }
        let error = try #require(outcome.error)
        #expect(error.kind == .threw)
        #expect(error.method == "test.fail")
        #expect(error.type == "ParallaxTestTasks.QuotaExceeded")
        #expect(error.message == "quota exceeded: the parent refused 42")
        #expect(error.code == 42)
    }

    @Test func anUnknownMethodIsATypedError() async throws {
        let outcome = try await ServiceHost().withPool { pool in
            try await pool.submit(CallService(.missing))
        }
        #expect(outcome.error?.kind == .unknownMethod)
        #expect(outcome.error?.message.contains("test.missing") == true)
    }

    @Test func aCallPastItsDeadlineTimesOutAndTheParentHandlerIsCancelled() async throws {
        let host = ServiceHost()
        try await host.withPool { pool in
            let outcome = try await pool.submit(
                CallService(.slow(milliseconds: 60_000, timeoutMilliseconds: 100)))
            #expect(outcome.error?.kind == .timedOut)
            await host.waitFor(.slowCancelled)
            #expect(pool.runningServiceCalls == 0)
            // The worker goes on serving.
            #expect(try await pool.submit(CallService(.echo("after"))).value == "parent: after")
        }
    }

    @Test func cancellingTheTaskCancelsItsCallInTheParent() async throws {
        let host = ServiceHost()
        try await host.withPool { pool in
            let group = WaitGroup(of: CallOutcome.self, isolation: .process(pool))
            try group.go(CallService(.slow(milliseconds: 60_000, timeoutMilliseconds: nil)))
            await host.waitFor(.slowStarted)
            group.cancelAll()
            let result = try #require(await group.wait().first)
            // The task saw its call end as cancelled and returned that, or was cancelled itself.
            #expect(result.value?.error?.kind == .cancelled || result.error?.kind == .cancelled)
            await host.waitFor(.slowCancelled)
            #expect(pool.runningServiceCalls == 0)
        }
    }

    @Test func aWorkerThatCrashesMidCallLeavesNothingWaitingInTheParent() async throws {
        let host = ServiceHost()
        try await host.withPool { pool in
            let pid = try await pool.submit(WhoAmI())
            let group = WaitGroup(of: CallOutcome.self, isolation: .process(pool))
            try group.go(CallService(.slow(milliseconds: 60_000, timeoutMilliseconds: nil)))
            await host.waitFor(.slowStarted)
            kill(pid, SIGKILL)
            let result = try #require(await group.wait().first)
            #expect(result.error?.kind == .crashed)
            await host.waitFor(.slowCancelled)
            #expect(pool.runningServiceCalls == 0)
            #expect(try await pool.submit(CallService(.echo("next"))).value == "parent: next")
        }
    }

    @Test func aCallWhileThePoolShutsDownIsATypedErrorNotAHang() async throws {
        let host = ServiceHost()
        let pool = WorkerPool(
            configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry,
            services: host.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            let calls = WaitGroup(of: CallOutcome.self, isolation: .process(pool))
            try calls.go(CallUntilRefused())
            await host.waitFor(.echoed)
            pool.shutdown()  // the running task has the graceful period to finish
            let outcome = try #require(await calls.wait().first?.value)
            #expect(outcome.error?.kind == .unavailable)
            #expect(outcome.calls >= 1)
            try await group.waitForAll()
        }
    }

    @Test func fourWorkersMakeAThousandCallsEachAllAnsweredInOrderPerCaller() async throws {
        let host = ServiceHost()
        try await host.withPool(workers: 4) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            for caller in 0..<4 { try group.go(RecordCalls(caller: caller, count: 1_000)) }
            #expect(await group.wait().map(\.value) == [1_000, 1_000, 1_000, 1_000])
        }
        let recorded = host.recorded.withLock { $0 }
        #expect(recorded.count == 4_000)
        for caller in 0..<4 {
            #expect(recorded.filter { $0.caller == caller }.map(\.sequence) == Array(0..<1_000))
        }
    }

    @Test func repliesInterleaveWithTaskFramesSentAheadOnTheSameChannel() async throws {
        let host = ServiceHost()
        var configuration = TestPool.configuration(workers: 1)
        configuration.pipelineDepth = 4  // the worker holds the next tasks while one makes calls
        try await WorkerPool.withPool(
            configuration: configuration, tasks: TestTasks.registry, services: host.registry
        ) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            for caller in 0..<4 { try group.go(RecordCalls(caller: caller, count: 250)) }
            #expect(await group.wait().map(\.value) == [250, 250, 250, 250])
        }
        #expect(host.recorded.withLock { $0.count } == 1_000)
    }

    @Test func aSlowCallHoldsUpNoOtherCallerOnTheSameChannelOrElsewhere() async throws {
        let host = ServiceHost()
        try await host.withPool(workers: 2) { pool in
            let slow = WaitGroup(of: CallOutcome.self, isolation: .process(pool))
            try slow.go(CallService(.slow(milliseconds: 60_000, timeoutMilliseconds: nil)))
            await host.waitFor(.slowStarted)
            // While the slow call runs in the parent, another worker's calls are all answered.
            #expect(try await pool.submit(RecordCalls(caller: 9, count: 200)) == 200)
            #expect(pool.runningServiceCalls == 1)
            slow.cancelAll()
            _ = await slow.wait()
        }
    }

    @Test func aCallOutsideAWorkerIsATypedError() async {
        let context = WorkerContext(
            slot: 0, pid: getpid(), taskID: 1, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let error = await #expect(throws: ServiceError.self) {
            try await context.services.call(TestServices.echo, "x")
        }
        #expect(error?.kind == .notInWorker)
    }

    @Test func anInputThatCannotBeEncodedIsATypedErrorAndNothingIsSent() async {
        let sent = Locked(0)
        let calls = ServiceCalls(defaultTimeout: nil) { _, _, _ in sent.withLock { $0 += 1 } }
        let context = WorkerContext(
            slot: 0, pid: getpid(), taskID: 1,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            serviceCalls: calls)
        let method = ServiceMethod<LiveResource, Int>("test.resource")
        let error = await #expect(throws: ServiceError.self) {
            try await context.services.call(method, LiveResource(descriptor: 1))
        }
        #expect(error?.kind == .encoding)
        #expect(sent.withLock { $0 } == 0)
        #expect(calls.count == 0)
    }

    @Test func aMethodThatAnswersNothingRunsInTheParentAndCanStillFail() async throws {
        let host = ServiceHost()
        try await host.withPool { pool in
            let noted = try await pool.submit(CallService(.note("hello")))
            #expect(noted.value == "noted", "\(noted)")
            #expect(host.notes.withLock { $0 } == ["hello"])
            let refused = try await pool.submit(CallService(.refuse(code: 7)))
            #expect(refused.error?.kind == .threw)
            #expect(refused.error?.code == 7)
        }
    }

    @Test func aHandlerThatOnlyThrowsInfersItsTypesFromAnInlineMethod() {
        struct Refused: Error {}
        var registry = ServiceRegistry()
        // No output to infer from a closure that only throws: the method answers nothing.
        registry.register(ServiceMethod("inline.refuse")) { (_: Int) in throw Refused() }
        #expect(registry.contains("inline.refuse"))
    }
}

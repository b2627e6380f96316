import ParallaxTestSupport
import ParallaxTestTasks
import Testing

@testable import Parallax

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(2)))
struct CrashIsolationTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var kind: Crash.Kind
        var termination: ProcessTermination
        /// Text the slot's message must carry: the runtime's crash reason.
        var message: String?
        var testDescription: String { kind.rawValue }
    }

    static let cases: [Expectation] = [
        Expectation(
            kind: .fatalError, termination: .signaled(SIGILL),
            message: "Fatal error: the task gave up on purpose"),
        Expectation(
            kind: .forceUnwrapNil, termination: .signaled(SIGILL),
            message: "Fatal error: Unexpectedly found nil while unwrapping an Optional value"),
        Expectation(
            kind: .indexOutOfRange, termination: .signaled(SIGILL), message: "Fatal error: Index out of range"
        ),
        Expectation(kind: .abort, termination: .signaled(SIGABRT), message: "Program crashed"),
        Expectation(kind: .segfault, termination: .signaled(SIGSEGV), message: "Program crashed"),
        Expectation(kind: .exit3, termination: .exited(3), message: nil),
    ]

    @Test(arguments: cases)
    func aCrashFailsOneSlotAndTheSiblingsAndTheNextTaskAreFine(_ expected: Expectation) async throws {
        try await TestPool.with(workers: 2) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Echo(1))
            try group.go(Crash(expected.kind))
            try group.go(Echo(3))
            try group.go(Echo(4))
            let results = await group.wait()
            #expect(results[0].value == 1)
            #expect(results[2].value == 3)
            #expect(results[3].value == 4)

            let error = try #require(results[1].error)
            #expect(error.kind == .crashed)
            #expect(error.reason == .workerCrashed)
            if !Sanitizer.isActive {  // a sanitizer's runtime ends a trapping process its own way
                #expect(error.termination == expected.termination)
                #expect(error.message.contains(expected.termination.description))
            }
            if let text = expected.message, !Sanitizer.isActive {
                #expect(error.message.contains(text), "message: \(error.message)")
                #expect(error.trace.contains(text), "trace: \(error.trace)")
            }

            // The pool replaced the worker: the next tasks all run.
            let after = WaitGroup(of: Int.self, isolation: .process(pool))
            for value in 0..<4 { try after.go(Echo(value)) }
            #expect(await after.wait().map(\.value) == [0, 1, 2, 3])
        }
    }

    @Test(.disabled(if: Sanitizer.isActive, "the backtracer cannot suspend threads under a sanitizer"))
    func theRuntimeBacktraceReachesTheTrace() async throws {
        try await TestPool.with(workers: 1) { pool in
            let error = await #expect(throws: TaskError.self) {
                try await pool.submit(Crash(.indexOutOfRange))
            }
            #expect(error?.trace.contains("Fatal error: Index out of range") == true)
            #expect(error?.trace.contains("Program crashed") == true)
            #expect(error?.trace.contains("Crash.run(in:)") == true, "trace: \(error?.trace ?? "")")
        }
    }

    @Test func afterACrashTheNextTasksOnASingleWorkerPoolAllSucceed() async throws {
        try await TestPool.with(workers: 1) { pool in
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.fatalError)) }
            for value in 0..<5 {
                let echoed = try await pool.submit(Echo(value))
                #expect(echoed == value)
            }
        }
    }

    @Test func aWorkerKilledWhileIdleIsReplacedAndTheNextTaskSucceeds() async throws {
        try await TestPool.with(workers: 1) { pool in
            let pid = try await pool.submit(WhoAmI())
            let exited = try ProcessWatch(pid: pid)
            kill(pid, SIGKILL)
            #expect(exited.wait(timeout: .seconds(10)))
            // The pool may not have seen the death yet: the task must still reach a live worker.
            let next = try await pool.submit(WhoAmI())
            #expect(next != pid)
        }
    }

    @Test func aTaskThatNeverReturnsTimesOutAtItsDeadlineAndItsWorkerIsReplaced() async throws {
        let clock = ManualClock()
        try await TestPool.with(workers: 1, timeout: .milliseconds(300), clock: clock) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Hang())
            try group.go(Echo(2))
            // Hang's deadline is set when it starts running: 300 ms on the clock from then.
            await clock.waitForAlarm(atOrBefore: .milliseconds(300))
            clock.advance(by: .milliseconds(299))
            #expect(pool.workers.first?.state == .busy)
            clock.advance(by: .milliseconds(1))
            // The deadline fired inside `advance`: the task is answered and its worker is stopping.
            #expect(pool.workers.first?.state != .busy)
            let results = await group.wait()
            let error = try #require(results[0].error)
            #expect(error.kind == .timedOut)
            #expect(error.reason == .timedOut)
            #expect(error.message.contains("timeout of 0.3 seconds"))
            #expect(results[1].value == 2)
        }
    }

    @Test func aPerTaskTimeoutOverridesThePoolDefault() async throws {
        let clock = ManualClock()
        try await TestPool.with(workers: 1, timeout: .seconds(60), clock: clock) { pool in
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Hang(), timeout: .milliseconds(200))
            try group.go(Echo(10))
            await clock.waitForAlarm(atOrBefore: .milliseconds(200))
            #expect(clock.alarm == .milliseconds(200))
            clock.advance(by: .milliseconds(200))
            let results = await group.wait()
            #expect(results[0].error?.kind == .timedOut)
            #expect(results[1].value == 10)
        }
    }

    @Test func aWorkerThatIgnoresSIGTERMAfterATimeoutIsKilledWhenTheGracePeriodEnds() async throws {
        let clock = ManualClock()
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, timeout: .seconds(1), logger: logger, clock: clock) { pool in
            let pid = try await pool.submit(WhoAmI())
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(HangIgnoringTerminate())
            await store.waitFor("stdout ignoring SIGTERM")
            await clock.waitForAlarm(atOrBefore: clock.now + .seconds(1))
            clock.advance(by: .seconds(1))  // the timeout: SIGTERM, which the worker ignores
            #expect(await group.wait()[0].error?.reason == .timedOut)
            let grace = pool.configuration.stopGracePeriod
            #expect(pool.storage.timers.pendingDeadlines.contains(clock.now + grace))
            clock.advance(by: grace - .milliseconds(1))
            #expect(
                !ProcessWatch.ends(pid, within: .zero), "the worker was killed before its grace period ended")
            clock.advance(by: .milliseconds(1))  // SIGKILL
            #expect(ProcessWatch.ends(pid, within: .seconds(10)))
            #expect(try await pool.submit(WhoAmI()) != pid)
        }
    }

    @Test func aWorkerThatCorruptsTheChannelFailsItsTaskWithAProtocolErrorAndIsReplaced() async throws {
        try await TestPool.with(workers: 1) { pool in
            let error = await #expect(throws: TaskError.self) { try await pool.submit(CorruptChannel()) }
            #expect(error?.kind == .protocolViolation)
            #expect(error?.reason == .protocolViolation)
            let echoed = try await pool.submit(Echo(9))
            #expect(echoed == 9)
        }
    }

    @Test func aWorkerThatAnswersATaskItWasNotRunningIsStoppedAndItsTaskFails() async throws {
        try await TestPool.with(workers: 1) { pool in
            let error = await #expect(throws: TaskError.self) { try await pool.submit(AnswerSomeoneElse()) }
            #expect(error?.kind == .protocolViolation)
            #expect(error?.message.contains("was not running") == true, "\(error?.message ?? "")")
            let echoed = try await pool.submit(Echo(4))
            #expect(echoed == 4)
        }
    }

    @Test func aTaskTheWorkerReadIsBlamedAndRunsOnceWhileTheOneBehindItRunsElsewhere() async throws {
        // The parent tells what a dead worker read from the bytes left in its request pipe; raw
        // pings cross the same pipe first, and count in that account too.
        let path = "/tmp/parallax-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(path) }
        let configure: (inout WorkerPool.Configuration) -> Void = { $0.pipelineDepth = 2 }
        try await TestPool.with(workers: 1, configure: configure) { pool in
            _ = try await pool.submit(Echo(1))
            let pinged = try #require(pool.pingRoundTrips(50))
            #expect(pinged.count == 50)
            // The first task ends its worker once the second waits unread behind it.
            let crashing = WaitGroup(of: Int.self, isolation: .process(pool))
            try crashing.go(CrashWithMoreQueued(path: path))
            let behind = WaitGroup(of: Int.self, isolation: .process(pool))
            try behind.go(Echo(2))
            #expect(await crashing.wait()[0].error?.kind == .crashed)
            #expect(await behind.wait()[0].value == 2)
            #expect(CrashUntil.count(path) == 1, "the task that crashed its worker ran again")
        }
    }

    @Test(arguments: [1, 2])
    func aTaskSentToAWorkerThatDiedBeforeReadingItRunsOnTheNextWorker(pipelineDepth: Int) async throws {
        let configure: (inout WorkerPool.Configuration) -> Void = { $0.pipelineDepth = pipelineDepth }
        try await TestPool.with(workers: 1, configure: configure) { pool in
            let worker = try await pool.submit(WhoAmI())
            // Stopped, the worker reads nothing more: the task below is written to its pipe (inside
            // `go`, as the worker is idle) and stays there when the worker is killed.
            kill(worker, SIGSTOP)
            // The worker is this process's child: wait until it has stopped (not reaped, WNOWAIT).
            var info = siginfo_t()
            while waitid(P_PID, id_t(worker), &info, WSTOPPED | WNOWAIT) < 0, errno == EINTR {}
            let group = WaitGroup(of: Int.self, isolation: .process(pool))
            try group.go(Echo(7))
            kill(worker, SIGKILL)
            let results = await group.wait()
            #expect(results[0].value == 7, "\(String(describing: results[0].error))")
            #expect(try await pool.submit(WhoAmI()) != worker)
        }
    }
}

import CParallaxSystem
import Foundation
import Logging
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A caller whose task goes to an idle worker reads the answer from the worker's reply pipe on its
/// own thread, for at most `inlineReplyWait`, and gives the pipe back to the I/O thread otherwise.
///
/// The waits here are long enough to be deterministic in a debug build and short enough not to
/// hold the concurrency pool's threads from the suites that run beside these: a wait that runs
/// out on purpose is 5 ms (50 ms ones delayed a shutdown test's grace period by hundreds of
/// milliseconds under the full suite).
@Suite(.timeLimit(.minutes(2)))
struct InlineReplyTests {
    static func withPool(
        workers: Int, wait: Duration, polling: Duration? = nil,
        logger: Logger = Logger(label: "parallax.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (WorkerPool) async throws -> Void
    ) async throws {
        let setWait: (inout WorkerPool.Configuration) -> Void = { configuration in
            configuration.inlineReplyWait = wait
            if let polling { configuration.inlineReplyPolling = polling }
        }
        try await TestPool.with(workers: workers, logger: logger, configure: setWait) { pool in
            // The first answer of a new worker comes with its handshake's reader: warm each one up.
            await pool.waitForStartedWorkers(workers)
            let warmUp = WaitGroup(of: Int.self, isolation: .process(pool))
            for value in 0..<workers { try warmUp.go(Echo(value)) }
            #expect(await warmUp.wait().allSatisfy(\.ok))
            // The I/O thread lets go of each pipe at the end of the read that brought the last
            // answer, which may come just after the answer itself: a ping claims each pipe once
            // it is free, and leaves it so.
            for slot in 0..<workers { #expect(pool.pingRoundTrips(1, slot: slot) != nil) }
            #expect(pool.inlineWaits == (0, 0))
            try await body(pool)
        }
    }

    /// Quick answers are read on the caller's thread; with the wait off, the I/O thread reads
    /// every one. A wait longer than a nanosecond count can hold is as good as endless.
    @Test(arguments: [(Duration.milliseconds(200), 1), (.zero, 2), (.seconds(Int64.max), 1)])
    func whoReadsQuickAnswers(wait: Duration, workers: Int) async throws {
        try await Self.withPool(workers: workers, wait: wait) { pool in
            for value in 0..<20 {
                let answer = try await pool.submit(Echo(value))
                #expect(answer == value)
            }
            let waits = pool.inlineWaits
            #expect(waits.answered == (wait > .zero ? 20 : 0))
            #expect(waits.missed == 0)
        }
    }

    /// With polling off the caller sleeps in the kernel for every answer. (Whether an answer comes
    /// while the caller polls depends on the machine's load; `waitingForAPipe` pins the wait itself.)
    @Test func withPollingOffNoAnswerIsCaughtWhilePolling() async throws {
        try await Self.withPool(workers: 1, wait: .milliseconds(200), polling: .zero) { pool in
            for value in 0..<20 {
                let answer = try await pool.submit(Echo(value))
                #expect(answer == value)
            }
            #expect(pool.inlineWaits.answered == 20)
            #expect(pool.inlineAnswersWhilePolling == 0)
        }
    }

    @Test func anAnswerLaterThanThePollingStopsItForTheNextCalls() async throws {
        try await Self.withPool(workers: 1, wait: .seconds(30), polling: .milliseconds(5)) { pool in
            // Answered on the caller's thread, but after the polling time.
            let slept = try await pool.submit(Sleep(milliseconds: 30))
            #expect(slept == 30)
            #expect(pool.inlineWaits == (1, 0))
            #expect(pool.inlineAnswersWhilePolling == 0)
            // The next two calls wait without polling (the policy's own test follows it further).
            for value in 0..<2 { _ = try await pool.submit(Echo(value)) }
            #expect(pool.inlineAnswersWhilePolling == 0)
            #expect(pool.inlineWaits == (3, 0))
        }
    }

    /// The wait on a reply pipe: found at once while polling, found by a sleeping wait, found
    /// after the polling time, or run out.
    @Test func waitingForAPipe() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { for fd in fds { close(fd) } }
        let byte: [UInt8] = [7]
        #expect(write(fds[1], byte, 1) == 1)

        var left: Int64 = 1_000_000_000
        #expect(cpx_wait_readable(fds[0], &left, 500_000_000) == 2)  // polled, found at once
        #expect(left > 0 && left <= 1_000_000_000)
        left = 1_000_000_000
        #expect(cpx_wait_readable(fds[0], &left, 0) == 1)  // no polling: the sleeping wait finds it

        var drained: [UInt8] = [0]
        #expect(read(fds[0], &drained, 1) == 1)
        left = 3_000_000
        #expect(cpx_wait_readable(fds[0], &left, 1_000_000) == 0)  // nothing comes: runs out
        #expect(left == 0)

        // Written well after a 1 ms polling time: found, but not while polling.
        let writer = fds[1]
        let late = Thread {
            usleep(30_000)
            _ = write(writer, byte, 1)
        }
        late.start()
        left = 5_000_000_000
        #expect(cpx_wait_readable(fds[0], &left, 1_000_000) == 1)
    }

    @Test func aTaskLongerThanTheWaitIsAnsweredAfterThePipeWentBack() async throws {
        try await Self.withPool(workers: 1, wait: .milliseconds(5)) { pool in
            let slept = try await pool.submit(Sleep(milliseconds: 300))
            #expect(slept == 300)
            #expect(pool.inlineWaits == (0, 1))
            // The next two calls skip the wait; then the pipe is free to claim again.
            for value in 0..<20 {
                let answer = try await pool.submit(Echo(value))
                #expect(answer == value)
            }
            #expect(pool.inlineWaits.answered > 0)
        }
    }

    @Test func aWorkerThatExitsDuringTheWaitFailsOnlyItsTask() async throws {
        // An exit closes the pipe at once (a trap first spends a while in the runtime's backtracer),
        // so the caller reads the end of file itself and hands the pipe to the I/O thread.
        try await Self.withPool(workers: 1, wait: .milliseconds(200)) { pool in
            let error = await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            #expect(error?.kind == .crashed)
            #expect(error?.termination == .exited(3))
            let answer = try await pool.submit(Echo(7))
            #expect(answer == 7)
        }
    }

    @Test func aWorkerKilledWhileNobodyReadsItsPipeIsReplaced() async throws {
        try await Self.withPool(workers: 1, wait: .milliseconds(200)) { pool in
            let first = try await pool.submit(WhoAmI())
            #expect(pool.inlineWaits.answered == 1)
            // Idle now, and nobody reads its pipe: its end is learned from its pidfd.
            kill(first, SIGKILL)
            await pool.waitForStartedWorkers(2)  // the first, then its replacement
            let second = try await pool.submit(WhoAmI())
            #expect(second != first)
        }
    }

    @Test func cancellingTheCallerEndsTheWaitWithACancellation() async throws {
        // The caller's thread waits in the kernel until the worker answers the cancel; the wait
        // itself would last 30 s.
        let (logger, store) = CapturingLogHandler.logger()
        try await Self.withPool(workers: 1, wait: .seconds(30), logger: logger) { pool in
            let caller = Task {
                try await pool.submit(AnnouncedSleep(marker: "sleeping", milliseconds: 60_000))
            }
            await store.waitFor("stdout sleeping")
            caller.cancel()
            let error = await #expect(throws: TaskError.self) { try await caller.value }
            #expect(error?.kind == .cancelled)
            let answer = try await pool.submit(Echo(1))
            #expect(answer == 1)
        }
    }

    @Test func aCallerCancelledBeforeItSubmitsFailsAtOnce() async throws {
        try await Self.withPool(workers: 1, wait: .milliseconds(50)) { pool in
            let caller = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await pool.submit(Sleep(milliseconds: 60_000))
            }
            let error = await #expect(throws: TaskError.self) { try await caller.value }
            #expect(error?.kind == .cancelled)
            #expect(error?.reason == .cancelled)
            #expect(error?.message.contains("before it started") == true)
        }
    }

    @Test func theTasksSentBehindACancelledOneRunUncancelled() async throws {
        // One worker that holds three tasks: cancelling the running one cancels the worker's
        // task that runs its queue, and the two behind it go to a new one.
        let holdThree: (inout WorkerPool.Configuration) -> Void = { $0.pipelineDepth = 3 }
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger, configure: holdThree) { pool in
            await pool.waitForStartedWorkers(1)
            // `go` sends each task before it returns: the worker holds all three, in this order.
            let sleeper = WaitGroup(of: Int.self, isolation: .process(pool))
            try sleeper.go(AnnouncedSleep(marker: "sleeping", milliseconds: 60_000))
            let behind = WaitGroup(of: Bool.self, isolation: .process(pool))
            for _ in 0..<2 { try behind.go(SeesCancellation()) }
            #expect(pool.workers.first?.tasksHeld == 3)
            await store.waitFor("stdout sleeping")
            sleeper.cancelAll()
            #expect(await sleeper.wait()[0].error?.kind == .cancelled)
            #expect(await behind.wait().map(\.value) == [false, false])
            #expect(try await pool.submit(Echo(5)) == 5)
        }
    }

    @Test func anIdleWorkerAnswersPingsFromItsReaderThreadAndThenRunsTasks() async throws {
        try await Self.withPool(workers: 1, wait: .milliseconds(5)) { pool in
            let samples = try #require(pool.pingRoundTrips(100))
            #expect(samples.count == 100)
            let answer = try await pool.submit(Echo(3))
            #expect(answer == 3)
            // A busy worker is not pinged: its pipe belongs to its task's answer. `go` sends the
            // task to the idle worker before it returns, so the worker holds it from here on.
            let sleeper = WaitGroup(of: Int.self, isolation: .process(pool))
            try sleeper.go(Sleep(milliseconds: 1_000))
            #expect(pool.pingRoundTrips(10) == nil)
            #expect(await sleeper.wait()[0].value == 1_000)
            #expect(pool.pingRoundTrips(10)?.count == 10)
        }
    }

    @Test func missesSkipAGrowingNumberOfWaitsAndAnAnswerInTimeResets() {
        var policy = InlineWaitPolicy()
        let waitsFirst = policy.shouldWait()
        #expect(waitsFirst)
        policy.record(answeredInTime: false)
        #expect([policy.shouldWait(), policy.shouldWait(), policy.shouldWait()] == [false, false, true])
        policy.record(answeredInTime: false)
        var skipped = 0
        while !policy.shouldWait() { skipped += 1 }
        #expect(skipped == 4)
        for _ in 0..<40 { policy.record(answeredInTime: false) }
        skipped = 0
        while !policy.shouldWait() { skipped += 1 }
        #expect(skipped == InlineWaitPolicy.maximumSkips)
        policy.record(answeredInTime: true)
        let waitsAgain = policy.shouldWait()
        #expect(waitsAgain)
    }
}

import CoreMetrics
import Dispatch
import Logging
import ParallaxTestSupport
import ParallaxTestTasks
import Testing

@testable import Parallax

@Suite(.timeLimit(.minutes(1)))
struct DeadlineTests {
    static func entry(job: UInt64, generation: UInt64, start: UInt64) -> SlotDeadlines.Entry {
        SlotDeadlines.Entry(jobID: job, generation: generation, start: start, timeout: .seconds(60))
    }

    @Test func aDeadlineOlderThanTheSlotsNewestIsDropped() {
        let deadlines = SlotDeadlines(slots: 2, timers: TimerService(clock: ManualClock()))
        #expect(deadlines.set(slot: 0, Self.entry(job: 2, generation: 1, start: 2)))
        #expect(!deadlines.set(slot: 0, Self.entry(job: 1, generation: 1, start: 1)))
        #expect(deadlines.entry(slot: 0)?.jobID == 2)
        // Another slot keeps its own order; a new process in the slot starts over.
        #expect(deadlines.set(slot: 1, Self.entry(job: 3, generation: 1, start: 1)))
        #expect(deadlines.set(slot: 0, Self.entry(job: 4, generation: 2, start: 1)))
        #expect(deadlines.entry(slot: 0)?.jobID == 4)
        #expect(!deadlines.set(slot: 0, Self.entry(job: 5, generation: 1, start: 3)))
        deadlines.stop()
    }

    /// A thread that assigned a task and was paused before it set the task's deadline resumes
    /// after that task was answered and the next one started: its late deadline must not
    /// replace the next task's, which would then never time out.
    @Test func aDeadlineSetLateNeverReplacesTheDeadlineOfTheTaskRunningNow() async throws {
        let first = Locked<UInt64?>(nil)
        let firstPaused = Latch()
        let nextArmed = DispatchSemaphore(value: 0)
        var hooks = WorkerPool.TestHooks()
        hooks.beforeArming = { id in
            let isFirst = first.withLock { first -> Bool in
                if first == nil { first = id }
                return first == id
            }
            guard isFirst else { return }
            firstPaused.set()
            nextArmed.wait()
        }
        hooks.afterArming = { id in
            if first.withLock({ $0 != id }) { nextArmed.signal() }
        }
        var configuration = TestPool.configuration(workers: 1)
        configuration.pipelineDepth = 2
        configuration.inlineReplyWait = .zero
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, services: ServiceRegistry(),
            logger: Logger(label: "parallax.test", factory: { _ in SwiftLogNoOpLogHandler() }),
            metricsFactory: NOOPMetricsHandler.instance, hooks: hooks)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            await pool.waitForStartedWorkers(1)

            // The first task is assigned to the idle worker on a thread of its own, which then
            // pauses before it sets the task's deadline; the frame waits in the worker's outbox.
            let fast = WaitGroup(of: Int.self, isolation: .process(pool))
            OSThread.detach(name: "late-arming") { try? fast.go(Echo(1), timeout: .seconds(60)) }
            _ = await firstPaused.wait()

            // Sent ahead to the same worker, the second task's write carries the first's frame
            // too: the first is answered, the second starts and its deadline is set, which lets
            // the paused thread go on with its late deadline for the first.
            let slow = WaitGroup(of: Int.self, isolation: .process(pool))
            try slow.go(Sleep(milliseconds: 10_000), timeout: .milliseconds(300))
            let outcome = await slow.wait()[0]
            #expect(outcome.error?.kind == .timedOut, "\(outcome)")
            #expect(await fast.wait()[0].value == 1)
            pool.shutdown()
            try await group.waitForAll()
        }
    }

    @Test func theEarliestDeadlineFiresFirstAndAReplacedOneNever() {
        let clock = ManualClock()
        let deadlines = SlotDeadlines(slots: 2, timers: TimerService(clock: clock))
        let expired = Locked<[UInt64]>([])
        deadlines.start { entry in expired.withLock { $0.append(entry.jobID) } }
        deadlines.set(slot: 0, SlotDeadlines.Entry(jobID: 1, generation: 1, start: 1, timeout: .seconds(5)))
        deadlines.set(slot: 1, SlotDeadlines.Entry(jobID: 2, generation: 1, start: 1, timeout: .seconds(2)))
        clock.advance(by: .seconds(1))
        // The next task of slot 0 replaces the first's deadline.
        deadlines.set(slot: 0, SlotDeadlines.Entry(jobID: 3, generation: 1, start: 2, timeout: .seconds(5)))
        clock.advance(by: .seconds(1))
        #expect(expired.withLock { $0 } == [2])
        clock.advance(by: .milliseconds(3_999))
        #expect(expired.withLock { $0 } == [2])
        clock.advance(by: .milliseconds(1))
        #expect(expired.withLock { $0 } == [2, 3])
        deadlines.stop()
    }
}

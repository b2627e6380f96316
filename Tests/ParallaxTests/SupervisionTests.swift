import ParallaxTestSupport
import ParallaxTestTasks
import Testing

@testable import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// The pure parts of supervision, driven with chosen times and random numbers.
@Suite struct BackoffAndIntensityTests {
    @Test func backoffDoublesFromTheInitialDelayUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(70), jitter: 0)
        let delays = (0...6).map { backoff.delay(attempt: $0, random: 0.5) }
        #expect(
            delays == [
                .zero, .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(70),
                .milliseconds(70),
                .milliseconds(70),
            ])
    }

    @Test func jitterSpreadsADelayWithinItsFraction() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.2)
        #expect(backoff.delay(attempt: 1, random: 0) == .milliseconds(80))
        #expect(backoff.delay(attempt: 1, random: 0.5) == .milliseconds(100))
        #expect(backoff.delay(attempt: 1, random: 1) == .milliseconds(120))
        for step in 0...100 {
            let delay = backoff.delay(attempt: 2, random: Double(step) / 100)
            #expect(delay >= .milliseconds(160) && delay <= .milliseconds(240))
        }
    }

    @Test func restartsBeyondTheIntensityWithinThePeriodAreRefused() {
        var window = RestartWindow(RestartIntensity(maximumRestarts: 2, period: .seconds(10)))
        let allowed = [0, 1, 2].map { window.record(at: .seconds($0)) }
        #expect(allowed == [true, true, false])
    }

    @Test func restartsOlderThanThePeriodNoLongerCount() {
        var window = RestartWindow(RestartIntensity(maximumRestarts: 2, period: .seconds(10)))
        // At 11 s the restart at 0 s has left the window; at 12 s three fall within 10 s again.
        let allowed = [0, 5, 11].map { window.record(at: .seconds($0)) }
        #expect(allowed == [true, true, true])
        #expect(window.count == 2)
        let fourth = window.record(at: .seconds(12))
        #expect(!fourth)
    }

    @Test func anUnlimitedIntensityNeverRefuses() {
        var window = RestartWindow(.unlimited)
        let allowed = (0..<1_000).map { window.record(at: .seconds($0)) }
        #expect(allowed.allSatisfy { $0 })
    }
}

/// Supervision of real worker processes.
@Suite(.timeLimit(.minutes(2)))
struct SupervisionTests {
    @Test func eventsTellWhenWorkersStartAndCrash() async throws {
        let pool = WorkerPool(configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            var events = pool.events.makeAsyncIterator()
            let first = try #require(await events.next())
            #expect(first.kind == .workerStarted)
            // A worker that answered a task before it crashed is replaced at once, without backoff.
            _ = try await pool.submit(Echo(1))
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.abort)) }
            let crash = try #require(await events.next())
            #expect(crash.kind == .workerCrashed)
            if !Sanitizer.isActive { #expect(crash.termination == .signaled(6)) }
            let restart = try #require(await events.next())
            #expect(restart.kind == .workerRestarting && restart.delay == .zero && restart.slot == crash.slot)
            let replacement = try #require(await events.next())
            #expect(replacement.kind == .workerStarted)
            #expect(replacement.pid != first.pid)
            pool.shutdown()
            try await group.waitForAll()
            var rest: [WorkerPool.Event.Kind] = []
            while let event = await events.next() { rest.append(event.kind) }
            #expect(rest == [.draining, .stopped])
        }
    }

    @Test func everyReaderOfEventsSeesEveryEvent() async throws {
        let pool = WorkerPool(configuration: TestPool.configuration(workers: 1), tasks: TestTasks.registry)
        let early = pool.events
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            // Two readers at once, one of them started while the other reads.
            let reading = Task { await early.reduce(into: []) { $0.append($1.kind) } }
            _ = try await pool.submit(Echo(1))
            let during = pool.events
            let readingToo = Task { await during.reduce(into: []) { $0.append($1.kind) } }
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            await pool.waitForStartedWorkers(2)
            pool.shutdown()
            try await group.waitForAll()
            let late = await pool.events.reduce(into: []) { $0.append($1.kind) }
            let expected: [WorkerPool.Event.Kind] = [
                .workerStarted, .workerCrashed, .workerRestarting, .workerStarted, .draining, .stopped,
            ]
            #expect(await reading.value == expected)
            #expect(await readingToo.value == expected)
            #expect(late == expected)
        }
    }

    @Test func theWorkersSnapshotShowsEachSlotsProcessStateAndRestarts() async throws {
        var configuration = TestPool.configuration(workers: 2)
        configuration.stopGracePeriod = .milliseconds(100)
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            await pool.waitForStartedWorkers(2)
            let started = pool.workers
            #expect(started.map(\.slot) == [0, 1])
            #expect(started.allSatisfy { $0.state == .idle && $0.restarts == 0 && $0.tasksHeld == 0 })
            #expect(Set(started.compactMap(\.pid)).count == 2)
            #expect(started.allSatisfy { ($0.residentBytes ?? 0) > 0 })

            // A task sent to an idle worker inside `go` makes its slot busy at once.
            let hung = WaitGroup(of: Int.self, isolation: .process(pool))
            try hung.go(Hang())
            let busy = try #require(pool.workers.first { $0.state == .busy })
            #expect(busy.tasksHeld == 1)

            // Kill the other worker from outside: its slot gets a new process and counts a restart.
            let idle = try #require(pool.workers.first { $0.state == .idle })
            kill(try #require(idle.pid), SIGKILL)
            await pool.waitForStartedWorkers(3)
            let replaced = pool.workers[idle.slot]
            #expect(replaced.restarts == 1)
            #expect(replaced.pid != idle.pid)
            #expect(replaced.state == .idle)

            hung.cancelAll()
            _ = await hung.wait()
            pool.shutdown()
            try await group.waitForAll()
            #expect(pool.workers.allSatisfy { $0.state == .stopped && $0.pid == nil })
        }
    }

    @Test func aWorkerThatKeepsFailingToStartBacksOffAsConfigured() async throws {
        let clock = ManualClock()
        try await TestPool.with(workers: 1, clock: clock) {
            $0.environment[TestTasks.failBootstrapVariable] = "1"
            $0.restartBackoff = Backoff(initial: .milliseconds(20), maximum: .milliseconds(80), jitter: 0)
        } _: { pool in
            var events = pool.events.makeAsyncIterator()
            var attempts = 0
            for expected in [20, 40, 80, 80].map(Duration.milliseconds) {
                while let event = await events.next(), event.kind != .workerRestarting {
                    if event.kind == .workerStartFailed { attempts += 1 }
                }
                // The next start waits exactly the backoff on the clock, and not a moment less.
                let restart = clock.now + expected
                await clock.waitForAlarm(atOrBefore: restart)
                #expect(pool.storage.timers.pendingDeadlines == [restart])
                clock.advance(by: expected - .milliseconds(1))
                #expect(pool.storage.timers.pendingDeadlines == [restart])
                clock.advance(by: .milliseconds(1))
                #expect(pool.storage.timers.pendingDeadlines.isEmpty)
            }
            #expect(attempts == 4)
        }
    }

    @Test func tooManyRestartsPutThePoolInAFailedStateThatCallersSee() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.restartIntensity = RestartIntensity(maximumRestarts: 2, period: .seconds(60))
        configuration.restartBackoff = Backoff(
            initial: .milliseconds(1), maximum: .milliseconds(1), jitter: 0)
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let error = await #expect(throws: WorkerPoolError.self) { try await pool.run() }
                #expect(error?.code == .restartIntensityExceeded)
            }
            for _ in 0..<3 {
                let crash = await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
                #expect(crash?.kind == .crashed)
            }
            var sawGiveUp = false
            for await event in pool.events where event.kind == .gaveUp { sawGiveUp = true }
            #expect(sawGiveUp)
            let refused = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
            #expect(refused?.reason == .poolFailed)
            try await group.waitForAll()
        }
    }

    @Test func workersAreRecycledAfterTheirTaskLimitWithoutLosingATask() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.recycling = Recycling(maximumTasks: 3)
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            var pids: [Int32] = []
            for _ in 0..<7 { pids.append(try await pool.submit(WhoAmI())) }
            #expect(Set(pids[0..<3]).count == 1)
            #expect(Set(pids[3..<6]).count == 1)
            #expect(Set([pids[0], pids[3], pids[6]]).count == 3)
            pool.shutdown()
            try await group.waitForAll()
            var recycled = 0
            for await event in pool.events where event.kind == .workerRecycled { recycled += 1 }
            #expect(recycled == 2)
        }
    }

    @Test func aWorkerAboveTheMemoryCeilingIsRecycledAfterItsTask() async throws {
        var configuration = TestPool.configuration(workers: 1)
        configuration.recycling = Recycling(maximumResidentBytes: 64 << 20)
        try await WorkerPool.withPool(configuration: configuration, tasks: TestTasks.registry) { pool in
            let before = try await pool.submit(WhoAmI())
            let kept = try await pool.submit(Hoard(megabytes: 100))
            #expect(kept == 100)
            let after = try await pool.submit(WhoAmI())
            #expect(after != before)
        }
    }

    @Test func theStopAllStrategyStopsThePoolAtTheFirstCrash() async throws {
        var configuration = TestPool.configuration(workers: 2)
        configuration.supervision = .stopAll
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let error = await #expect(throws: WorkerPoolError.self) { try await pool.run() }
                #expect(error?.code == .workerFailed)
            }
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            for await event in pool.events where event.kind == .gaveUp { break }
            let refused = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
            #expect(refused?.reason == .poolFailed)
            try await group.waitForAll()
        }
    }

    @Test func theIgnoreStrategyGoesOnWithFewerWorkersUntilNoneIsLeft() async throws {
        var configuration = TestPool.configuration(workers: 2)
        configuration.supervision = .ignore
        let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let error = await #expect(throws: WorkerPoolError.self) { try await pool.run() }
                #expect(error?.code == .workerFailed)
            }
            await pool.waitForStartedWorkers(2)
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            // One worker is left, and it still serves.
            for value in 0..<3 {
                let echoed = try await pool.submit(Echo(value))
                #expect(echoed == value)
            }
            #expect(pool.startedWorkerCount == 2, "the crashed worker was not replaced")
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            let refused = await #expect(throws: TaskError.self) { try await pool.submit(Echo(9)) }
            #expect(refused?.kind == .rejected)
            try await group.waitForAll()
        }
    }
}

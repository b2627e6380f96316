import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// No process a task starts outlives its worker: the worker leads a session and a process group,
/// which the parent ends with the worker, and which the worker ends itself when the parent dies.
@Suite(.timeLimit(.minutes(2)))
struct DescendantTests {
    enum Ending: String, CaseIterable, Sendable {
        case crash, timeout, cancel, recycle, shutdown
    }

    // Foundation's `Process` starts each child in a process group of its own: the worker's
    // session still holds it.
    @Test(arguments: [StartChild.Launcher.posixSpawn, .foundationProcess], Ending.allCases)
    func aProcessATaskStartedEndsWithItsWorker(launcher: StartChild.Launcher, ending: Ending) async throws {
        let (logger, store) = CapturingLogHandler.logger()
        let configure: (inout WorkerPool.Configuration) -> Void = { configuration in
            configuration.stopGracePeriod = .milliseconds(200)
            if ending == .recycle { configuration.recycling = Recycling(maximumTasks: 1) }
        }
        let child = try await TestPool.with(workers: 1, logger: logger, configure: configure) {
            pool -> Int32 in
            var line: Substring?
            switch ending {
            case .crash:
                let error = await #expect(throws: TaskError.self) {
                    try await pool.submit(StartChild(launcher, then: .crash))
                }
                #expect(error?.kind == .crashed)
            case .timeout:
                let error = await #expect(throws: TaskError.self) {
                    try await pool.submit(StartChild(launcher, then: .hang), timeout: .milliseconds(300))
                }
                #expect(error?.kind == .timedOut)
            case .cancel:
                let task = Task { try await pool.submit(StartChild(launcher, then: .hang)) }
                line = await store.waitForMessage(startingWith: StartChild.marker)
                task.cancel()
                let error = await #expect(throws: TaskError.self) { try await task.value }
                #expect(error?.kind == .cancelled)
            case .recycle, .shutdown:
                _ = try await pool.submit(StartChild(launcher, then: .answer))
            }
            if line == nil { line = await store.waitForMessage(startingWith: StartChild.marker) }
            return try #require(line.flatMap { Int32($0) })
        }
        let ended = ProcessWatch.ends(child, within: .seconds(10))
        if !ended { kill(child, SIGKILL) }
        #expect(ended, "child \(child) outlived its worker (\(ending))")
    }

    @Test
    func aCrashIsReportedAtOnceWhenAForkedChildHoldsTheChannel() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger) { pool in
            // The forked child sleeps far longer than the bound: a pool that waited for the
            // channel to close would report the crash only after it.
            let outcome = try await within(.seconds(20)) {
                await #expect(throws: TaskError.self) {
                    try await pool.submit(StartChild(.fork, then: .crash))
                }
            }
            #expect(outcome??.kind == .crashed)
            let line = await store.waitForMessage(startingWith: StartChild.marker)
            let child = try #require(line.flatMap { Int32($0) })
            let ended = ProcessWatch.ends(child, within: .seconds(10))
            if !ended { kill(child, SIGKILL) }
            #expect(ended, "the forked child \(child) outlived its worker")
            // The slot has a new worker.
            #expect(try await pool.submit(Echo(5)) == 5)
        }
    }
}

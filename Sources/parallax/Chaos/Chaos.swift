import ArgumentParser
import Logging
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a sustained load through a pool while killing workers and making tasks crash, hang and
/// run out of memory, then checks that every task got exactly one correct outcome and that
/// nothing leaked.
struct Chaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a load through a pool under injected faults and check every outcome.",
        discussion: """
            Tasks are planned from the seed: most return their id, some throw, trap, hang past \
            the timeout or exhaust the workers' memory limit, while random workers are killed \
            with SIGKILL. The run passes when no task is lost, duplicated, hung or answered \
            wrongly, the parent's memory and descriptors did not grow, and no process is left \
            behind. Exits with status 1 when it does not pass.
            """)

    @Option(help: "Tasks to run (default 100,000; --quick: 4,000).")
    var tasks: Int?

    @Option(help: "Worker processes.")
    var workers = 4

    @Option(help: "Workers killed with SIGKILL per second.")
    var killsPerSecond: Double = 8

    @Option(help: "Share of tasks that trap with fatalError (default 0.01; --quick: 0.25).")
    var crashRate: Double?

    @Option(help: "Share of tasks that throw.")
    var throwRate: Double = 0.01

    @Option(help: "Share of tasks that hang past the timeout (default 0.0002; --quick: 0.002).")
    var hangRate: Double?

    @Option(help: "Share of tasks that exhaust the memory limit (default 0.0005; --quick: 0.005).")
    var memoryRate: Double?

    @Option(help: "The task timeout, in milliseconds: far above a task's run time even on a loaded machine.")
    var timeoutMs = 500

    @Option(help: "Each worker's memory limit, in MiB.")
    var memoryLimitMib = 128

    @Option(help: "Tasks submitted and not yet answered at any time.")
    var inFlight = 64

    @Option(help: "Seconds after which a task without an outcome counts as hung.")
    var deadlineSeconds = 600

    @Option(help: "Seed of the fault plan and of the choice of workers to kill.")
    var seed: UInt64 = 1

    @Flag(help: "A short run with more faults, for CI: 4,000 tasks, about 1,000 worker restarts.")
    var quick = false

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Flag(
        help:
            "Run the queue across hosts on a private PostgreSQL server under faults instead (parallax-cluster chaos; takes --quick, --seed, --json)."
    )
    var postgres = false

    func run() async throws {
        if postgres {
            var arguments = ["chaos", "--seed", "\(seed)"]
            if quick { arguments.append("--quick") }
            if let json { arguments += ["--json", json] }
            try ClusterDemo.exec(arguments)
        }
        let plan = ChaosPlan(
            tasks: tasks ?? (quick ? 4_000 : 100_000),
            rates: [
                .throwError: throwRate,
                .crash: crashRate ?? (quick ? 0.25 : 0.01),
                .hang: hangRate ?? (quick ? 0.002 : 0.0002),
                .exhaustMemory: memoryRate ?? (quick ? 0.005 : 0.0005),
            ],
            seed: seed)

        var configuration = WorkerPool.Configuration(workerCount: workers)
        configuration.name = "chaos"
        configuration.taskTimeout = .milliseconds(timeoutMs)
        configuration.stopGracePeriod = .milliseconds(100)
        configuration.resourceLimits = ResourceLimits(memoryBytes: memoryLimitMib << 20)
        configuration.pipelineDepth = 2
        configuration.restartBackoff = Backoff(initial: .milliseconds(1), maximum: .milliseconds(100))
        configuration.restartIntensity = .unlimited
        // A crash report with a symbolicated backtrace takes longer than the crash itself; the
        // runtime's one-line reason is enough here.
        configuration.environment["SWIFT_BACKTRACE"] = "enable=no"

        // One task of every kind through a pool of its own first: what the runtime opens once on
        // first use (libdispatch's timer descriptors) is open before the first reading.
        try await Self.warmUp(configuration)
        let descriptorsBefore = ProcessStatus.descriptorTargets()
        let pool = WorkerPool(
            configuration: configuration, tasks: DemoTasks.registry,
            logger: Logger(label: "parallax.chaos") { _ in SwiftLogNoOpLogHandler() })
        let census = WorkerCensus()
        var report = ChaosReport(plan: plan, workers: workers, killsPerSecond: killsPerSecond)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            group.addTask { await census.follow(pool.events) }
            try await census.waitForLiveWorkers(workers, within: .seconds(30))

            // Warm up before the first reading, so that the pool's own start is not counted as drift.
            for id in 0..<2_000 { _ = try await pool.submit(ChaosTask(id: id, fault: .none)) }
            let residentBefore = ProcessMemory.residentBytes(of: getpid()) ?? 0
            progress("\(plan.tasks) tasks through \(workers) workers, \(killsPerSecond) kills/s")

            let ledger = ChaosLedger(plan: plan)
            let killer = Task { await census.killRandomWorkers(perSecond: killsPerSecond, seed: seed) }
            let start = ContinuousClock.now
            let finished = await Self.runLoad(
                plan, ledger: ledger, pool: pool, inFlight: inFlight, deadline: .seconds(deadlineSeconds))
            report.seconds = (ContinuousClock.now - start).timeInterval
            killer.cancel()
            report.kills = await killer.value
            report.record(ledger.snapshot(), finished: finished)

            report.finalWorkers =
                (try? await census.waitForLiveWorkers(workers, within: .seconds(10))) ?? census.liveCount
            report.residentMiBBefore = Double(residentBefore) / 1_048_576
            report.residentMiBAfter = Double(ProcessMemory.residentBytes(of: getpid()) ?? 0) / 1_048_576
            pool.shutdown()
            try await group.next()  // run() returns once every worker has stopped
            group.cancelAll()
        }
        report.restarts = census.startedCount - workers
        report.descriptorsBefore = descriptorsBefore
        report.descriptorsAfter = ProcessStatus.descriptorTargets()
        report.leftoverProcesses = Self.leftovers(started: census.startedPIDs)

        report.printTable()
        if let json { try writeFile(json, report.json()) }
        guard report.passed else { throw ExitCode.failure }
    }

    private static func warmUp(_ configuration: WorkerPool.Configuration) async throws {
        var configuration = configuration
        configuration.workerCount = 1
        try await WorkerPool.withPool(
            configuration: configuration, tasks: DemoTasks.registry,
            logger: Logger(label: "parallax.chaos") { _ in SwiftLogNoOpLogHandler() }
        ) { pool in
            for (id, fault) in ChaosTask.Fault.allCases.enumerated() {
                _ = try? await pool.submit(ChaosTask(id: id, fault: fault))
            }
        }
        // Timeouts run on dispatch's uptime clock, the kill pace on the continuous clock: each has
        // a timer descriptor of its own.
        try await Task.sleep(for: .milliseconds(1))
    }

    /// Submits every planned task, at most `inFlight` at once. Returns false when the deadline
    /// passed first: the tasks without an outcome then are hung.
    private static func runLoad(
        _ plan: ChaosPlan, ledger: ChaosLedger, pool: WorkerPool, inFlight: Int, deadline: Duration
    ) async -> Bool {
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func submitNext() {
                    let task = ChaosTask(id: next, fault: plan.fault(of: next))
                    next += 1
                    group.addTask {
                        do {
                            ledger.record(task, .success(try await pool.submit(task)))
                        } catch let error as TaskError {
                            ledger.record(task, .failure(error))
                        } catch {
                            ledger.record(task, .failure(TaskError(describing: error)))
                        }
                    }
                }
                for _ in 0..<min(inFlight, plan.tasks) { submitNext() }
                while await group.next() != nil, next < plan.tasks { submitNext() }
                await group.waitForAll()
            }
        }
        return await finishes(within: deadline) { await load.value }
    }

    /// The processes still there after the pool stopped: any worker it started that still exists
    /// (running or a zombie), and any child of this process.
    private static func leftovers(started: Set<Int32>) -> [Int32] {
        var left = Set(started.filter { ProcessStatus.status(of: $0) != nil })
        for child in ProcessStatus.children() { left.insert(child.pid) }
        return left.sorted()
    }
}

import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// The speed-up of CPU-bound tasks over running them one after another in this process: what a
/// user asks first ("my tasks take a millisecond: how close to N× do I get on N cores?"), beside
/// the in-process limit (`withTaskGroup`) measured in the same run.
struct SpeedUp {
    /// One way to run the tasks.
    enum Mode: String, CaseIterable {
        case serial, taskgroup, waitgroup, submit, map
    }

    /// A duration per task, and its name in the JSON keys.
    struct Granularity: Sendable {
        var name: String
        var duration: Duration

        static let all = [
            Granularity(name: "100us", duration: .microseconds(100)),
            Granularity(name: "1ms", duration: .milliseconds(1)),
            Granularity(name: "10ms", duration: .milliseconds(10)),
        ]
    }

    /// Each mode's speed-up over serial (serial itself is 1).
    var speedUps: [Mode: Double]
    /// The CPU time this process (the parent, all of its threads) spent per task in each mode,
    /// in microseconds: the kernel itself in-process, the pool's cost per task otherwise.
    var parentCPU: [Mode: Double]
    /// The context switches of this process per task in each mode, voluntary and not.
    var parentSwitches: [Mode: Double]
    /// The tasks of each run, and the iterations of each.
    var tasks: Int
    var iterations: Int
}

extension Measurements {
    /// Runs tasks of `granularity` (enough for about a second of serial work; a quarter with
    /// `quick`) in every mode, in interleaved rounds, on a pool with a worker per core; each
    /// mode's time is the median of its rounds.
    func speedUp(_ granularity: SpeedUp.Granularity) async throws -> SpeedUp {
        let iterations = CPUKernel.iterations(for: granularity.duration)
        let serialSeconds = quick ? 0.25 : 1.0
        let tasks = max(8, Int(serialSeconds / granularity.duration.timeInterval))
        let jobs = (0..<tasks).map { CPUKernel.Job(iterations: iterations, seed: UInt64($0)) }
        let expected = jobs.reduce(UInt64(0)) { $0 &+ CPUKernel.run($1) }
        let rounds = quick ? 1 : 3
        let clock = ContinuousClock()
        var times: [SpeedUp.Mode: [Double]] = [:]
        var cpu: [SpeedUp.Mode: [Double]] = [:]
        var switches: [SpeedUp.Mode: [Double]] = [:]

        var configuration = WorkerPool.Configuration(
            workerCount: WorkerPool.Configuration.activeProcessorCount)
        configuration.executable = .current
        try await WorkerPool.withPool(configuration: configuration, tasks: DemoTasks.registry, logger: logger)
        {
            pool in
            // Warm: every worker has run the kernel.
            _ = try await pool.mapValues(jobs.prefix(16), CPUKernel.function)
            for round in 0...rounds {
                for mode in SpeedUp.Mode.allCases {
                    let usage = ProcessUsage.now()
                    let start = clock.now
                    let sum = try await Self.run(jobs, mode: mode, pool: pool)
                    let elapsed = (clock.now - start).timeInterval
                    let used = ProcessUsage.now() - usage
                    guard sum == expected else { throw BenchError("the \(mode) run computed another result") }
                    if round > 0 {  // round 0 warms up
                        times[mode, default: []].append(elapsed)
                        cpu[mode, default: []].append(used.cpuSeconds * 1e6 / Double(tasks))
                        switches[mode, default: []].append(Double(used.switches) / Double(tasks))
                    }
                }
            }
        }
        func median(_ mode: SpeedUp.Mode, of samples: [SpeedUp.Mode: [Double]] = times) -> Double {
            let sorted = (samples[mode] ?? [.nan]).sorted()
            return sorted[sorted.count / 2]
        }
        var speedUps: [SpeedUp.Mode: Double] = [:]
        var parentCPU: [SpeedUp.Mode: Double] = [:]
        var parentSwitches: [SpeedUp.Mode: Double] = [:]
        for mode in SpeedUp.Mode.allCases {
            speedUps[mode] = median(.serial) / median(mode)
            parentCPU[mode] = median(mode, of: cpu)
            parentSwitches[mode] = median(mode, of: switches)
        }
        return SpeedUp(
            speedUps: speedUps, parentCPU: parentCPU, parentSwitches: parentSwitches, tasks: tasks,
            iterations: iterations)
    }

    /// Runs every job in `mode`; the wrapping sum of their results.
    private static func run(_ jobs: [CPUKernel.Job], mode: SpeedUp.Mode, pool: WorkerPool) async throws
        -> UInt64
    {
        switch mode {
        case .serial:
            return jobs.reduce(0) { $0 &+ CPUKernel.run($1) }
        case .taskgroup:
            return await withTaskGroup(of: UInt64.self) { group in
                for job in jobs { group.addTask { CPUKernel.run(job) } }
                return await group.reduce(0, &+)
            }
        case .waitgroup:
            let group = WaitGroup(of: UInt64.self, isolation: .process(pool))
            for job in jobs { try group.go(CPUKernel.function, job) }
            return try await group.wait().reduce(0) { $0 &+ (try $1.result.get()) }
        case .submit:
            // One caller per task, all at once: a server handling that many requests.
            return try await withThrowingTaskGroup(of: UInt64.self) { group in
                for job in jobs {
                    group.addTask { try await pool.submit(CPUKernel.function, job, whenFull: .wait) }
                }
                return try await group.reduce(0, &+)
            }
        case .map:
            return try await pool.mapValues(jobs, CPUKernel.function).reduce(0, &+)
        }
    }
}

/// This process's CPU time and context switches so far, all threads together.
struct ProcessUsage {
    var cpuSeconds: Double
    var switches: Int

    static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return ProcessUsage(
            cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            switches: usage.ru_nvcsw + usage.ru_nivcsw)
    }

    static func - (after: ProcessUsage, before: ProcessUsage) -> ProcessUsage {
        ProcessUsage(
            cpuSeconds: after.cpuSeconds - before.cpuSeconds, switches: after.switches - before.switches)
    }
}

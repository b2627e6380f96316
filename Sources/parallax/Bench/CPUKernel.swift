import Parallax

/// The CPU-bound work of the speed-up figures: a dependent chain of integer operations on one
/// register, so that it neither touches memory nor vectorises, and runs at the same speed in the
/// parent and in a worker. Its length is calibrated at run time to a duration per task.
enum CPUKernel {
    /// One task's work: `iterations` steps from `seed`.
    struct Job: Codable, Sendable {
        var iterations: Int
        var seed: UInt64
    }

    /// The registered function that runs a job in a worker.
    static let function = TaskFunction("parallax.kernel") { (job: Job) in run(job) }

    /// Runs a job; the result depends on every step.
    @inline(never)
    static func run(_ job: Job) -> UInt64 {
        var x = job.seed | 1
        for _ in 0..<job.iterations {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            x ^= x >> 29
        }
        return x
    }

    /// The iterations that take about `duration` on this machine: the median of three timings of
    /// a run of at least 50 ms.
    static func iterations(for duration: Duration) -> Int {
        let clock = ContinuousClock()
        var rates: [Double] = []
        var probe = 1 << 16
        while rates.count < 3 {
            let start = clock.now
            blackHole(run(Job(iterations: probe, seed: UInt64(probe))))
            let elapsed = (clock.now - start).timeInterval
            if elapsed < 0.05 {
                probe *= 2
                continue
            }
            rates.append(Double(probe) / elapsed)
        }
        let rate = rates.sorted()[1]
        return max(1, Int(rate * duration.timeInterval))
    }

    /// Keeps a value alive, so that the work that produced it is not optimised away.
    @inline(never)
    static func blackHole(_ value: UInt64) {
        if value == 0x5EED_5EED_5EED_5EED { print("") }
    }
}

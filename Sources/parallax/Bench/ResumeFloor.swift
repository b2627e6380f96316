import Parallax
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The floor under concurrent `submit` callers: Swift tasks that each await a continuation
/// resumed from another thread, one every `interval`, as a worker's I/O thread resumes the
/// callers whose answers it reads. No pool, no process, no pipe: what remains is the concurrency
/// runtime's cost of resuming a task from outside its pool (a pool thread woken per task) and
/// of the task itself.
enum ResumeFloor {
    /// The continuations waiting to be resumed, oldest first.
    private final class Waiting: Sendable {
        let continuations = Mutex(FIFOQueue<CheckedContinuation<Int, Never>>())
    }

    /// Runs `tasks` tasks in a task group, each resumed by a thread that sleeps `interval`
    /// between resumes. Returns this process's CPU time (µs) and context switches per task.
    static func run(tasks: Int, interval: Duration) async -> (cpuMicroseconds: Double, switches: Double) {
        let waiting = Waiting()
        let usage = ProcessUsage.now()
        OSThread.detach(name: "px-resumer") {
            var request = timespec(tv_sec: 0, tv_nsec: Int(interval.components.attoseconds / 1_000_000_000))
            var resumed = 0
            while resumed < tasks {
                nanosleep(&request, nil)
                if let next = waiting.continuations.withLock({ $0.popFirst() }) {
                    next.resume(returning: 1)
                    resumed += 1
                }
            }
        }
        let count = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        waiting.continuations.withLock { $0.append(continuation) }
                    }
                }
            }
            return await group.reduce(0, +)
        }
        precondition(count == tasks)
        let used = ProcessUsage.now() - usage
        return (used.cpuSeconds * 1e6 / Double(tasks), Double(used.switches) / Double(tasks))
    }
}

extension Measurements {
    /// The floor under concurrent `submit` callers (``ResumeFloor``): `tasks` Swift tasks resumed
    /// from another thread at the rate a pool with a worker per core answers tasks of `duration`.
    /// The run of median CPU per task among three.
    func resumeFloor(tasks: Int, every duration: Duration) async -> (
        cpuMicroseconds: Double, switches: Double
    ) {
        let interval = duration / WorkerPool.Configuration.activeProcessorCount
        var runs: [(cpuMicroseconds: Double, switches: Double)] = []
        for _ in 0..<3 { runs.append(await ResumeFloor.run(tasks: tasks, interval: interval)) }
        return runs.sorted { $0.cpuMicroseconds < $1.cpuMicroseconds }[1]
    }
}

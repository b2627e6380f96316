import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Does nothing: the queue's own cost per task.
struct NoOp: WorkerTask {
    func run(in context: WorkerContext) async throws -> Int { 0 }
}

/// Returns when it started, on `CLOCK_BOOTTIME` in nanoseconds: the same clock in every process
/// of the machine, so the producer can tell how long after its `go` the task started.
struct StartedAt: WorkerTask {
    func run(in context: WorkerContext) async throws -> UInt64 {
        BootClock.nanoseconds
    }
}

/// `CLOCK_BOOTTIME`, the monotonic clock every process of a machine shares.
enum BootClock {
    static var nanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

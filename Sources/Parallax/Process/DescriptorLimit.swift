#if canImport(Glibc)
    import Glibc
#endif

/// The process's soft limit of open files, raised when a pool is about to need more than it
/// allows. A parent holds several descriptors per worker (its pipes, the pidfd, the wake-ups of
/// its I/O thread), so the usual soft limit of 1,024 runs out near 140 workers, where the hard
/// limit is usually far higher.
enum DescriptorLimit {
    /// Descriptors the parent holds per worker, as `parallax bench --only scale` measures them.
    static let perWorker = 7
    /// Room kept for the rest of the process.
    static let headroom = 256

    /// What ``ensureRoom(forWorkers:)`` did.
    enum Outcome: Equatable {
        /// The soft limit had room.
        case enough
        /// Raised from one soft limit to another.
        case raised(from: Int, to: Int, needed: Int)
        /// The hard limit is below what is needed: raised as far as it goes.
        case short(from: Int, to: Int, needed: Int)
    }

    /// Makes room for `workers` more workers beside the descriptors open now.
    static func ensureRoom(forWorkers workers: Int) -> Outcome {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return .enough }
        let needed = openDescriptors() + workers * perWorker + headroom
        let soft = Int(clamping: limit.rlim_cur)
        let hard = Int(clamping: limit.rlim_max)  // RLIM_INFINITY is the largest value: no limit
        guard soft < needed else { return .enough }
        let raised = min(hard, needed)
        limit.rlim_cur = rlim_t(raised)
        guard raised > soft, setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return .short(from: soft, to: soft, needed: needed)
        }
        return raised < needed
            ? .short(from: soft, to: raised, needed: needed) : .raised(from: soft, to: raised, needed: needed)
    }

    /// How many descriptors this process has open.
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return max(0, count - 1)  // the directory's own descriptor
    }
}

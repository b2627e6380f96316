#if canImport(Glibc)
    import Glibc
#endif

/// The worker side of ``ResourceLimits``: applying them to the worker's own process.
extension ResourceLimits {
    /// Sets the limits the parent passed in the environment on this process.
    /// - Parameter pid: This process, named in the failure.
    /// - Returns: Why that failed, if it did.
    static func applyFromEnvironment(pid: Int32) -> TaskError? {
        guard let value = getenv(WorkerLaunch.limitsVariable).map({ String(cString: $0) }) else { return nil }
        guard let limits = ResourceLimits(environmentValue: value) else {
            return TaskError.resourceLimitsNotApplied("read its resource limits '\(value)'", workerPID: pid)
        }
        let requested: [(resource: Int32, name: String, value: Int?)] = [
            (Int32(RLIMIT_DATA.rawValue), "memory", limits.memoryBytes),
            (Int32(RLIMIT_CPU.rawValue), "CPU time", limits.cpuSeconds),
            (Int32(RLIMIT_NOFILE.rawValue), "open files", limits.openFiles),
        ]
        for (resource, name, value) in requested {
            guard let value else { continue }
            var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            if resource == Int32(RLIMIT_CPU.rawValue) {
                // SIGXCPU at the soft limit names the cause; the hard limit one second later kills.
                limit.rlim_max = rlim_t(value + 1)
            }
            guard setrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else {
                return TaskError.resourceLimitsNotApplied(
                    "limit its \(name) to \(value): \(String(cString: strerror(errno)))", workerPID: pid)
            }
        }
        return nil
    }
}

/// Limits each worker process sets on itself before it takes work (`setrlimit`), so that a task
/// that runs away fails its own slot instead of starving the machine.
///
/// A task that exceeds the memory limit fails with reason ``/ParallaxWire/TaskError/Reason/outOfMemory``; one
/// that exceeds the CPU limit with reason ``/ParallaxWire/TaskError/Reason/cpuLimitExceeded``; both are
/// ``/ParallaxWire/TaskError/Kind/crashed``,
/// and the worker is replaced. With too few open files, opening one more fails inside the task.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.cpuBound
/// configuration.resourceLimits = ResourceLimits(memoryBytes: 512 << 20, cpuSeconds: 60)
/// ```
public struct ResourceLimits: Sendable, Hashable {
    /// The most heap and private memory a worker may map (`RLIMIT_DATA`), in bytes.
    public var memoryBytes: Int?
    /// The most CPU time a worker may use over its life (`RLIMIT_CPU`), in seconds. Recycle
    /// workers (see ``Recycling``) so that long-lived ones do not reach it through many tasks.
    public var cpuSeconds: Int?
    /// The most file descriptors a worker may have open (`RLIMIT_NOFILE`).
    public var openFiles: Int?

    /// Creates resource limits; `nil` leaves a resource as the parent has it.
    /// - Parameters:
    ///   - memoryBytes: The most heap and private memory a worker may map, in bytes.
    ///   - cpuSeconds: The most CPU time a worker may use, in seconds.
    ///   - openFiles: The most file descriptors a worker may have open.
    public init(memoryBytes: Int? = nil, cpuSeconds: Int? = nil, openFiles: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpuSeconds = cpuSeconds
        self.openFiles = openFiles
    }

    /// No limits beyond those the parent has.
    public static let none = ResourceLimits()

    /// The environment value that carries the limits to a worker, or nil when there are none.
    package var environmentValue: String? {
        EnvironmentFields.join([
            ("data", memoryBytes.map(String.init)), ("cpu", cpuSeconds.map(String.init)),
            ("nofile", openFiles.map(String.init)),
        ])
    }

    /// Reads limits from an environment value.
    package init?(environmentValue: String) {
        self.init()
        guard let fields = EnvironmentFields.split(environmentValue) else { return nil }
        for (key, text) in fields {
            guard let value = Int(text), value >= 0 else { return nil }
            switch key {
            case "data": memoryBytes = value
            case "cpu": cpuSeconds = value
            case "nofile": openFiles = value
            default: return nil
            }
        }
    }
}

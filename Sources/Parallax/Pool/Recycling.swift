/// When a pool replaces a healthy worker with a fresh one, between tasks and losing nothing: to
/// bound the damage of slow leaks and fragmentation in long-running workers.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.recycling = Recycling(maximumTasks: 10_000, maximumResidentBytes: 512 << 20)
/// ```
public struct Recycling: Sendable, Hashable {
    /// Replace a worker after it answered this many tasks.
    public var maximumTasks: Int?
    /// Replace a worker whose resident memory exceeds this many bytes after a task. The parent
    /// reads it from /proc after each task, so set it only when it is needed.
    public var maximumResidentBytes: Int?

    /// Creates a recycling policy.
    /// - Parameters:
    ///   - maximumTasks: Replace a worker after it answered this many tasks.
    ///   - maximumResidentBytes: Replace a worker whose resident memory exceeds this after a task.
    public init(maximumTasks: Int? = nil, maximumResidentBytes: Int? = nil) {
        precondition(maximumTasks.map { $0 > 0 } ?? true, "a worker answers at least one task")
        self.maximumTasks = maximumTasks
        self.maximumResidentBytes = maximumResidentBytes
    }

    /// Workers are never recycled.
    public static let never = Recycling()
}

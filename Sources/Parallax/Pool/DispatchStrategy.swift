/// How a pool picks the worker for the next task.
///
/// ```swift
/// var configuration = WorkerPool.Configuration.default
/// configuration.dispatch = .roundRobin
/// ```
public struct DispatchStrategy: Sendable, Hashable, CustomStringConvertible {
    package enum Storage: Sendable, Hashable {
        case leastLoaded
        case roundRobin
    }

    package let storage: Storage

    /// The worker holding the fewest tasks, counting the one it runs; among idle workers, the one
    /// that finished a task last, whose caches and threads are still warm (a caller that sends
    /// one task at a time keeps meeting the same worker: with 64 workers its round trip is that
    /// of a pool of 4, not two and a half times it). Balances load when tasks take different
    /// times. The default.
    public static let leastMailbox = DispatchStrategy(storage: .leastLoaded)

    /// The workers in turn, skipping any that is full, starting, crashed or draining. Predictable
    /// when tasks cost about the same.
    public static let roundRobin = DispatchStrategy(storage: .roundRobin)

    /// The strategy's name.
    public var description: String {
        switch storage {
        case .leastLoaded: "leastMailbox"
        case .roundRobin: "roundRobin"
        }
    }
}

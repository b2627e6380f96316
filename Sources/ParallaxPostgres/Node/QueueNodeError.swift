/// Why a node or a remote group could not do what was asked.
public enum QueueNodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node's configuration does not hold together; the message says why.
    case invalidConfiguration(String)
    /// The node is not running (it stopped, or its run failed), so it cannot reach the queue.
    case notRunning
    /// No group has the id or idempotency key asked for.
    case unknownGroup(String)
    /// Tasks were added to a group after its ``RemoteWaitGroup/wait()`` began.
    case groupSealed

    /// A sentence that says what went wrong.
    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "invalid queue node configuration: \(why)"
        case .notRunning: "the queue node is not running"
        case .unknownGroup(let which): "no remote group \(which)"
        case .groupSealed: "tasks cannot be added to a remote group once its wait began"
        }
    }
}

/// How the queue runs the tasks of one kind: how long an attempt may take, and how often and
/// how soon a task whose worker died is tried again.
///
/// The rules follow a local pool's: a task that throws keeps its error and is not tried again, and
/// neither is one that overruns its timeout; a task whose worker died (a trap, a signal, running
/// out of memory) gets up to ``maximumAttempts`` attempts, the delay before each doubling from
/// ``retryDelay`` up to ``maximumRetryDelay``, give or take a fifth, on the database's clock.
///
/// ```swift
/// var configuration = QueueNode.Configuration()
/// configuration.setPolicy(QueueTaskPolicy(timeout: .seconds(30), maximumAttempts: 5), for: Resize.self)
/// ```
public struct QueueTaskPolicy: Sendable, Hashable {
    /// How long one attempt may run before its worker is stopped and the task ends as timed out.
    public var timeout: Duration
    /// How many attempts a task gets in which its worker may die, the first included.
    public var maximumAttempts: Int
    /// The delay before the second attempt.
    public var retryDelay: Duration
    /// The longest delay before an attempt.
    public var maximumRetryDelay: Duration

    /// Creates a policy.
    /// - Parameters:
    ///   - timeout: How long one attempt may run; 15 minutes by default.
    ///   - maximumAttempts: Attempts in which the worker may die, at least 1; 3 by default.
    ///   - retryDelay: The delay before the second attempt; 1 second by default.
    ///   - maximumRetryDelay: The longest delay; 5 minutes by default.
    public init(
        timeout: Duration = .seconds(15 * 60), maximumAttempts: Int = 3, retryDelay: Duration = .seconds(1),
        maximumRetryDelay: Duration = .seconds(300)
    ) {
        self.timeout = timeout
        self.maximumAttempts = max(1, maximumAttempts)
        self.retryDelay = retryDelay
        self.maximumRetryDelay = maximumRetryDelay
    }

    var statementPolicy: QueueStatements.TaskPolicy {
        var policy = QueueStatements.TaskPolicy(
            timeout: timeout, maxAttempts: Int16(clamping: maximumAttempts))
        policy.backoffInitial = retryDelay
        policy.backoffMaximum = maximumRetryDelay
        return policy
    }
}

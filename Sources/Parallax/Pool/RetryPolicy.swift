/// Whether a failed task is tried again. By default it is not: a task that crashed its worker
/// may be a poison input that would crash every worker in turn.
///
/// ```swift
/// // A flaky native library: try up to three times when the worker crashes or times out.
/// let value = try await pool.submit(Render(page: 7), retry: .attempts(3, on: [.crashed, .timedOut]))
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// How many times the task runs at most, the first included; at least 1.
    public var maximumAttempts: Int
    /// The kinds of failure that are tried again.
    public var retryable: Set<TaskError.Kind>

    /// Creates a retry policy.
    /// - Parameters:
    ///   - maximumAttempts: How many times the task runs at most, the first included; at least 1.
    ///   - retryable: The kinds of failure that are tried again.
    public init(maximumAttempts: Int, retryable: Set<TaskError.Kind>) {
        precondition(maximumAttempts >= 1, "a task runs at least once")
        self.maximumAttempts = maximumAttempts
        self.retryable = retryable
    }

    /// Run once; a failure is final. The default.
    public static let never = RetryPolicy(maximumAttempts: 1, retryable: [])

    /// Run up to `attempts` times while the failure is of one of `kinds`.
    /// - Parameters:
    ///   - attempts: How many times the task runs at most, the first included.
    ///   - kinds: The kinds of failure that are tried again; crashes by default.
    /// - Returns: The policy.
    public static func attempts(_ attempts: Int, on kinds: Set<TaskError.Kind> = [.crashed]) -> RetryPolicy {
        RetryPolicy(maximumAttempts: attempts, retryable: kinds)
    }

    /// Whether a task that failed with `error` on attempt `attempt` runs again.
    @usableFromInline
    package func retries(_ error: TaskError, after attempt: Int) -> Bool {
        attempt < maximumAttempts && retryable.contains(error.kind)
    }
}

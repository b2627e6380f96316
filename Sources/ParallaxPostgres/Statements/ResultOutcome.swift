/// How a task ended, as its result row records it.
package enum ResultOutcome: Int16, Sendable {
    /// The task returned a value (the payload holds it).
    case value = 0
    /// The task threw (the payload holds the `TaskError`).
    case thrown = 1
    /// The worker died while running it, with no attempt left.
    case crashed = 2
    case timedOut = 3
    case cancelled = 4
    /// Its hosts died too often while running it.
    case lost = 5
    /// Its attempts ran out.
    case exhausted = 6
}

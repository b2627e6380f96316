/// How one attempt ended, as the attempt log records it.
package enum AttemptEnd: Int16, Sendable {
    /// Its completion landed: it was the task's current attempt.
    case completed = 0
    /// It failed in a way worth another try (its worker crashed); the task was requeued or, out
    /// of attempts, finished as exhausted.
    case failed = 2
    /// Its node died; the reaper took the task back.
    case reapedHostLost = 5
    /// It ran past its deadline; the reaper finished it.
    case reapedOverdue = 6
    /// Its completion came after the task had moved on, and was rejected by the fence.
    case staleRejected = 7
    /// It never ran (its node's pool refused it, or the node stopped before starting it): the task
    /// went back to the queue without using up an attempt.
    case released = 8
}

/// How a running task of a ``WaitGroup`` is cancelled: a Swift task's handle, or a pool's job by
/// id, kept as they are so that no task costs a closure.
@usableFromInline
enum Canceller: Sendable {
    case task(Task<Void, Never>)
    case job(WorkerPool, UInt64)

    @inlinable func cancel() {
        switch self {
        case .task(let task): task.cancel()
        case .job(let pool, let id): pool.cancel(jobID: id)
        }
    }
}

/// The package interface through which ``WaitGroup`` and ``WorkerPool/map(_:_:chunkSize:timeout:)``
/// hand encoded tasks to the pool.
extension WorkerPool {
    /// A fresh job id.
    @usableFromInline
    package func makeJobID() -> UInt64 {
        storage.makeJobID()
    }

    /// Queues an encoded run of a task, failing at once when the queue is full; `completion` is
    /// called exactly once, on any thread. For the inlinable paths that specialize in the caller.
    @usableFromInline
    package func enqueueRun(
        id: UInt64, task: EncodedTask, timeout: Duration?,
        completion: @escaping @Sendable (Result<[UInt8], TaskError>) -> Void
    ) {
        storage.enqueueRun(id: id, kind: .run, task: task, timeout: timeout, completion: completion)
    }

    /// Cancels a job: a queued job never runs; a job sent ahead is skipped; a running job is
    /// cancelled in its worker, which is killed if it has not answered within the grace period.
    @usableFromInline
    package func cancel(jobID: UInt64) {
        storage.cancel(jobID: jobID)
    }

    /// Cancels a job as ``cancel(jobID:)`` does, killing a worker that runs it once `grace` has
    /// passed (`.zero`: at once) rather than after ``Configuration/stopGracePeriod``.
    package func cancel(jobID: UInt64, grace: Duration) {
        storage.cancel(jobID: jobID, grace: grace)
    }

    /// Kills the worker running a job at once, without answering the job for it: the job gets
    /// its answer if the worker sent one before it died, else its death (`crashed`). For a queue
    /// node whose lease lapsed: a task that finished while the node was frozen keeps its value,
    /// which the node then writes through the attempt's fence.
    package func terminate(jobID: UInt64) {
        storage.terminate(jobID: jobID)
    }

    /// Runs an encoded task and waits for its answer; cancelling the caller cancels the task.
    package func answer(
        _ task: EncodedTask, kind: Frame.Kind = .run, timeout: Duration?, whenFull: WhenFull = .fail,
        retry: RetryPolicy = .never
    ) async -> Result<[UInt8], TaskError> {
        await storage.answer(task, kind: kind, timeout: timeout, whenFull: whenFull, retry: retry)
    }

    /// Arms every worker's dead-man switch, for the workers running now and those that start
    /// later: a worker that is not told a later deadline within `delay` ends itself, its session
    /// and its process group, as if its parent had died; `nil` disarms it. For a parent that
    /// holds a lease (a queue node): renewed with each renewal, it makes sure that a parent
    /// frozen past its lease cannot leave its tasks running. Disarm it when the lease is gone:
    /// armed with a deadline that passed, it ends every worker as soon as it starts.
    package func setLeaseDeadline(after delay: Duration?) {
        storage.leaseBoard?.set(after: delay)
    }
}

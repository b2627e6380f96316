import CoreMetrics
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Submitting a job, waiting for its answer, cancelling it, and waiting for room in the queue.
extension PoolStorage {
    /// A fresh job id.
    func makeJobID() -> UInt64 {
        nextJobID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Runs an encoded task and waits for its answer, again while `retry` says so; cancelling the
    /// caller cancels the task.
    func answer(
        _ task: WorkerPool.EncodedTask, kind: Frame.Kind, timeout: Duration?, whenFull: WorkerPool.WhenFull,
        retry: RetryPolicy
    ) async -> Result<[UInt8], TaskError> {
        var attempt = 1
        while true {
            let result = await answerOnce(task, kind: kind, timeout: timeout, whenFull: whenFull)
            guard case .failure(let error) = result, retry.retries(error, after: attempt), !Task.isCancelled
            else {
                task.trace?.finish(result, attempts: attempt)
                return result
            }
            task.trace?.retrying(after: error, attempt: attempt)
            attempt += 1
        }
    }

    private func answerOnce(
        _ task: WorkerPool.EncodedTask, kind: Frame.Kind, timeout: Duration?, whenFull: WorkerPool.WhenFull
    ) async -> Result<[UInt8], TaskError> {
        let answer = OneShot<Result<[UInt8], TaskError>>()
        let id = makeJobID()
        let waitsInline = inline.shouldWait()
        return await withTaskCancellationHandler {
            while true {
                // A caller cancelled before its job is known to the pool cancels it here.
                if Task.isCancelled { return .failure(TaskError.cancelled(task: task.name)) }
                let enqueued = enqueueJob(
                    id: id, kind: kind, task: task, timeout: timeout, whenFull: whenFull,
                    claimingReplies: waitsInline, finish: .deliver(answer))
                // The cancellation handler may have run before the job was known.
                if Task.isCancelled { cancel(jobID: id) }
                switch enqueued {
                case .taken:
                    return await answer.wait()
                case .claimed(let process, let generation):
                    let value = inline.read(from: process, into: answer) {
                        giveBackReplies(of: process, generation: generation)
                    }
                    if let value { return value }
                    return await answer.wait()
                case .notTaken:
                    await waitForRoom()
                }
            }
        } onCancel: {
            self.cancel(jobID: id)
        }
    }

    /// Gives back the reply pipe of `process`, claimed by this thread: to nobody when the worker
    /// holds no job, otherwise to its I/O thread, woken after the lock.
    ///
    /// The hand-over (an atomic store) happens inside the state lock, which is where the worker is
    /// known to hold no job: a job assigned after it finds nobody reading and hands the pipe to
    /// the I/O thread (``ReplyChannel/ensureReader()``); a job assigned before it is seen here.
    func giveBackReplies(of process: WorkerProcess, generation: UInt64) {
        let wake = withMachine { machine in
            process.replies.giveBack(
                othersPending: !machine.holdsNoJob(slot: process.slot, generation: generation))
        }
        if wake { process.replies.wakeIOThread() }
    }

    /// Queues an encoded run of a task (or of a chunk, `kind` `.runBatch`), failing at once when
    /// the queue is full; `completion` is called exactly once, on any thread.
    func enqueueRun(
        id: UInt64, kind: Frame.Kind, task: WorkerPool.EncodedTask, timeout: Duration?,
        completion: @escaping @Sendable (Result<[UInt8], TaskError>) -> Void
    ) {
        _ = enqueueJob(
            id: id, kind: kind, task: task, timeout: timeout, whenFull: .fail, claimingReplies: false,
            finish: .call(completion))
    }

    /// What ``enqueueJob(id:kind:task:timeout:whenFull:claimingReplies:finish:)`` did.
    private enum Enqueued {
        /// The queue is full and the caller waits for room: the job's outcome is never delivered.
        case notTaken
        case taken
        /// Taken and sent to an idle worker, whose reply pipe the caller now reads (see
        /// ``ReplyChannel``) and must give back.
        case claimed(WorkerProcess, generation: UInt64)
    }

    /// Queues an encoded task whose outcome goes to `finish`, exactly once and on any thread,
    /// unless the job was not taken (``Enqueued/notTaken``); with `claimingReplies`, a job sent at
    /// once to an idle worker comes with that worker's reply pipe.
    private func enqueueJob(
        id: UInt64, kind: Frame.Kind, task: WorkerPool.EncodedTask, timeout: Duration?,
        whenFull: WorkerPool.WhenFull, claimingReplies: Bool, finish: Job.Finish
    ) -> Enqueued {
        let job = Job(
            id: id, kind: kind, name: task.name, payload: task.payload,
            timeout: timeout ?? configuration.taskTimeout, finish: metrics.timing(finish), trace: task.trace)
        let (action, queued, running) = withMachine { machine in
            (machine.submit(job), machine.queuedCount, machine.inFlightCount)
        }
        metrics.load(queued: queued, inFlight: running)
        switch action {
        case .send(let send):
            metrics.submitted.increment()
            // Claimed before the frame is queued, which otherwise hands the pipe to the I/O thread.
            // A job assigned to the worker meanwhile either handed the pipe over already (the claim
            // fails) or finds it claimed, and this caller hands it on when it gives it back.
            let claimed = claimingReplies && send.startsRunning && send.handle.replies.claim()
            deliver(send)
            if claimed { return .claimed(send.handle, generation: send.generation) }
        case .queued:
            metrics.submitted.increment()
        case .full(let job):
            guard !whenFull.isWait else { return .notTaken }
            job.complete(.failure(TaskError.mailboxFull(task: job.name, limit: configuration.mailboxLimit)))
        case .reject(let job, let error): job.complete(.failure(error))
        }
        return .taken
    }

    /// Cancels a job: a queued job never runs; a job sent ahead is skipped; a running job is
    /// cancelled in its worker, which is killed if it has not answered within `grace` (by default
    /// the configured ``WorkerPool/Configuration/stopGracePeriod``).
    func cancel(jobID: UInt64, grace: Duration? = nil) {
        perform(withMachine { $0.cancel(jobID: jobID) }, jobID: jobID, grace: grace)
    }

    /// Kills the worker running `jobID` at once without answering the job: it gets its answer if
    /// the worker sent it before it died, else the worker's death (`crashed`, SIGKILL). A job that
    /// has not started is cancelled.
    func terminate(jobID: UInt64) {
        switch withMachine({ $0.terminate(jobID: jobID) }) {
        case .kill(let process):
            process.signal(SIGKILL)
        case .cancel(let action):
            perform(action, jobID: jobID, grace: .zero)
        }
    }

    private func perform(
        _ action: PoolStateMachine<WorkerProcess>.CancelAction, jobID: UInt64, grace: Duration?
    ) {
        switch action {
        case .skip(let job, let process, let sequence), .cancelRunning(let job, let process, _, let sequence):
            process.enqueue(kind: .cancel, id: job.id, payload: [], sequence: sequence)
        case .removedFromQueue, .none:
            break
        }
        switch action {
        case .removedFromQueue(let job):
            job.complete(.failure(TaskError.cancelled(task: job.name)))
        case .cancelRunning(let job, let process, let generation, _):
            job.complete(.failure(TaskError.cancelled(task: job.name, running: true)))
            flush(process)
            timers.schedule(after: grace ?? configuration.stopGracePeriod) { [self] in
                guard
                    let stuck = withMachine({ $0.cancelGraceExpired(jobID: jobID, generation: generation) }
                    )
                else {
                    return
                }
                logger.info(
                    "a cancelled task did not stop within the grace period; killing its worker",
                    metadata: ["parallax.worker.pid": "\(stuck.pid)", "parallax.task": "\(job.name)"])
                stuck.signal(SIGKILL)
            }
        case .skip(let job, let process, _):
            job.complete(.failure(TaskError.cancelled(task: job.name)))
            flush(process)
        case .none:
            break
        }
    }

    // MARK: Backpressure

    /// Suspends until the queue may have room (a job left it, or the pool stopped taking jobs),
    /// or the caller is cancelled.
    private func waitForRoom() async {
        let waiter = OneShot<Bool>()
        await withTaskCancellationHandler {
            if withMachine({ $0.wait(for: .room, waiter) }) { return }
            // Cancelled before the waiter was known: the handler found nothing to stop.
            if Task.isCancelled, withMachine({ $0.stopWaiting(waiter) }) { return }
            _ = await waiter.wait()
        } onCancel: {
            if withMachine({ $0.stopWaiting(waiter) }) { waiter.deliver(false) }
        }
    }
}

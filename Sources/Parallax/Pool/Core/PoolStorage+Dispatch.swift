import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writing the frames the state machine assigned, the timeouts of the tasks that start, and
/// recycling a worker that grew too large.
extension PoolStorage {
    /// Queues the run frame of a send on its worker, in the place the state machine numbered it,
    /// and makes sure the worker's replies are read.
    private func post(_ send: PoolStateMachine<WorkerProcess>.Send) {
        send.job.trace?.sent(to: send.handle.pid, runsAtOnce: send.startsRunning)
        send.handle.enqueue(
            kind: send.job.kind, id: send.job.id, payload: send.job.payload, sequence: send.sequence)
        send.handle.replies.ensureReader()
    }

    /// Queues the frames of `sends` on their workers, starts the timeouts of the jobs that start
    /// running, then writes the frames: a deadline is set before its job can be answered. The
    /// deadline of a job whose frame could not be written fires harmlessly; the job went elsewhere.
    func deliver(_ sends: [PoolStateMachine<WorkerProcess>.Send]) {
        guard sends.count > 1 else {
            if let send = sends.first { deliver(send) }
            return
        }
        for send in sends { post(send) }
        for send in sends where send.startsRunning {
            startTimeout(of: send.job, slot: send.slot, generation: send.generation, start: send.start)
        }
        var seen: Set<ObjectIdentifier> = []
        for send in sends where seen.insert(ObjectIdentifier(send.handle)).inserted {
            flush(send.handle)
        }
    }

    /// Delivers one send, as ``deliver(_:)-([Send])``, without an array or a set.
    func deliver(_ send: PoolStateMachine<WorkerProcess>.Send) {
        post(send)
        if send.startsRunning {
            startTimeout(of: send.job, slot: send.slot, generation: send.generation, start: send.start)
        }
        flush(send.handle)
    }

    /// Writes the queued frames of `process`. A job whose frame could not be written never
    /// reached its worker, which is gone: it goes to another worker. Returns those jobs' ids.
    @discardableResult
    func flush(_ process: WorkerProcess) -> [UInt64] {
        let unsent = process.flush()
        for id in unsent {
            logger.debug(
                "could not send to worker, requeueing",
                metadata: ["parallax.worker.pid": "\(process.pid)"])
            deliver(withMachine { $0.sendFailed(slot: process.slot, jobID: id) })
        }
        return unsent
    }

    // MARK: Timeouts

    /// Starts the timeout of a job that starts running in its worker: the `start`-th job of the
    /// slot's process `generation`.
    func startTimeout(of job: Job, slot: Int, generation: UInt64, start: UInt64) {
        guard let timeout = job.timeout else { return }
        hooks.beforeArming?(job.id)
        deadlines.set(
            slot: slot,
            SlotDeadlines.Entry(jobID: job.id, generation: generation, start: start, timeout: timeout))
        hooks.afterArming?(job.id)
    }

    /// Fails a job that ran past its timeout and stops its worker: SIGTERM first, for a worker
    /// that cleans up; SIGKILL after the grace period.
    func expire(jobID: UInt64, generation: UInt64, timeout: Duration) {
        guard let (job, process) = withMachine({ $0.timeoutExpired(jobID: jobID, generation: generation) })
        else { return }
        logger.info(
            "task timed out, stopping its worker",
            metadata: ["parallax.task": "\(job.name)", "parallax.worker.pid": "\(process.pid)"])
        job.complete(.failure(TaskError.timedOut(task: job.name, after: timeout, workerPID: process.pid)))
        // Through the pidfd, a signal after the worker exited reaches nothing.
        process.signal(SIGTERM)
        timers.schedule(after: configuration.stopGracePeriod) { process.signal(SIGKILL) }
    }

    // MARK: Recycling

    /// Replaces the worker of `slot` once it is idle when its resident memory exceeds `ceiling`.
    func recycleIfLarge(slot: Int, generation: UInt64, ceiling: Int) {
        guard
            let process = withMachine({ $0.handle(slot: slot, generation: generation) }),
            let resident = ProcessMemory.residentBytes(of: process.pid), resident > ceiling
        else { return }
        logger.info(
            "recycling a worker above the memory ceiling",
            metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.worker.rss": "\(resident)"])
        withMachine { $0.retire(slot: slot, generation: generation) }?.closeRequests()
    }
}

/// The pool's bookkeeping as a pure state machine: which worker runs which job, what waits, and
/// what to do next. It performs no I/O; ``WorkerPool`` holds it under a lock and carries out the
/// actions it returns outside the lock.
///
/// Each slot runs one worker process at a time. A process is known by the slot's `generation`,
/// so that late events from a process that was already replaced are ignored.
package struct PoolStateMachine<Handle: Sendable>: Sendable {
    package enum Lifecycle: Sendable, Equatable {
        case running
        case draining
    }

    package enum SlotState: Sendable, Equatable {
        /// A process is being started (or restarted after a backoff).
        case starting
        /// The process is ready and has nothing to do.
        case idle
        /// The process runs this job.
        case busy(jobID: UInt64)
        /// The slot was shut down.
        case stopped
    }

    package struct Slot: Sendable {
        package var generation: UInt64 = 0
        package var state: SlotState = .starting
        package var handle: Handle?
        /// Why the last start attempt failed, cleared by a successful start.
        package var startFailure: TaskError?
        /// Why the parent is stopping this slot's process for breaking the protocol.
        package var violation: String?

        var isReady: Bool {
            switch state {
            case .idle, .busy: true
            case .starting, .stopped: false
            }
        }
    }

    /// A job handed to a worker.
    package struct InFlight: Sendable {
        package var job: Job
        package var slot: Int
        package var generation: UInt64
        /// Whether the caller was already answered (timeout, cancellation): a late result is dropped.
        package var answered: Bool
    }

    /// Send `job` to the worker in `slot`.
    package struct Send: Sendable {
        package var job: Job
        package var handle: Handle
        package var slot: Int
        package var generation: UInt64
    }

    package enum SubmitAction: Sendable {
        case send(Send)
        case queued
        case reject(Job, TaskError)
    }

    package enum CancelAction: Sendable {
        /// The job was still queued: it never runs.
        case removedFromQueue(Job)
        /// The job was running: answer it and stop its worker.
        case stopWorker(Job, Handle)
        /// Already finished or unknown.
        case none
    }

    package private(set) var slots: [Slot]
    package private(set) var lifecycle: Lifecycle = .running
    private var queue = FIFOQueue<Job>()
    private var inFlight: [UInt64: InFlight] = [:]
    private var nextSlot = 0

    package init(slotCount: Int) {
        precondition(slotCount > 0, "a pool needs at least one worker")
        slots = Array(repeating: Slot(), count: slotCount)
    }

    package var queuedCount: Int { queue.count }
    package var inFlightCount: Int { inFlight.count }

    /// Set when no worker can start: every slot's last start failed and none is ready.
    package var unavailable: TaskError? {
        guard slots.allSatisfy({ $0.startFailure != nil && !$0.isReady }) else { return nil }
        return slots.last?.startFailure
    }

    // MARK: Submitting

    package mutating func submit(_ job: Job) -> SubmitAction {
        guard lifecycle == .running else {
            return .reject(job, Self.shuttingDownError(job))
        }
        if let failure = unavailable {
            return .reject(job, Self.unavailableError(job, failure))
        }
        if let slot = nextIdleSlot() {
            return .send(assign(job, to: slot))
        }
        queue.append(job)
        return .queued
    }

    package mutating func cancel(jobID: UInt64) -> CancelAction {
        if let running = inFlight[jobID] {
            guard !running.answered, let handle = slots[running.slot].handle else { return .none }
            inFlight[jobID]?.answered = true
            return .stopWorker(running.job, handle)
        }
        if let job = queue.removeAll(where: { $0.id == jobID }).first {
            return .removedFromQueue(job)
        }
        return .none
    }

    /// The timeout of a running job expired: answer it and stop its worker.
    package mutating func timeoutExpired(jobID: UInt64, generation: UInt64) -> (Job, Handle)? {
        guard let running = inFlight[jobID], running.generation == generation, !running.answered,
            let handle = slots[running.slot].handle
        else { return nil }
        inFlight[jobID]?.answered = true
        return (running.job, handle)
    }

    // MARK: Worker events

    /// A new process for `slot` is about to start; returns its generation, or nil when the pool
    /// is shutting down and no process should start.
    package mutating func workerSpawning(slot: Int) -> UInt64? {
        guard lifecycle == .running else {
            slots[slot].state = .stopped
            slots[slot].handle = nil
            return nil
        }
        slots[slot].generation &+= 1
        slots[slot].state = .starting
        slots[slot].handle = nil
        return slots[slot].generation
    }

    /// The process was created; it is not ready before its handshake.
    package mutating func workerSpawned(slot: Int, generation: UInt64, handle: Handle) {
        guard slots[slot].generation == generation else { return }
        slots[slot].handle = handle
    }

    /// The process completed its handshake.
    package mutating func workerStarted(slot: Int, generation: UInt64) -> Send? {
        guard slots[slot].generation == generation, lifecycle == .running else { return nil }
        slots[slot].startFailure = nil
        slots[slot].state = .idle
        return dispatchNext(to: slot)
    }

    /// The process could not start or its bootstrap failed. When no worker is left to run them,
    /// the queued jobs are returned to be rejected.
    package mutating func workerFailedToStart(slot: Int, generation: UInt64, error: TaskError) -> [Job] {
        guard slots[slot].generation == generation else { return [] }
        slots[slot].startFailure = error
        slots[slot].handle = nil
        slots[slot].state = lifecycle == .running ? .starting : .stopped
        guard unavailable != nil else { return [] }
        return queue.removeAll()
    }

    /// What to do with a worker's answer.
    package enum FinishAction: Sendable {
        /// Answer the job, and send `next` to the now idle worker.
        case complete(Job, next: Send?)
        /// A late answer from a worker that is being replaced, or to a job already answered.
        case ignore
        /// The worker answered a job it was not running: stop it; its running job fails with a
        /// protocol violation when it exits.
        case violation(Handle)
    }

    /// The worker in `slot` answered the job with `jobID`.
    package mutating func taskFinished(slot: Int, generation: UInt64, jobID: UInt64) -> FinishAction {
        guard slots[slot].generation == generation else { return .ignore }
        if let running = inFlight[jobID], running.slot == slot, running.generation == generation {
            // An answered job's worker is being stopped; it stays busy so nothing new is sent to it.
            guard !running.answered else { return .ignore }
            inFlight[jobID] = nil
            slots[slot].state = .idle
            return .complete(running.job, next: dispatchNext(to: slot))
        }
        guard let handle = slots[slot].handle else { return .ignore }
        slots[slot].violation = "the worker answered task id \(jobID), which it was not running"
        return .violation(handle)
    }

    /// Records that the process of `slot` broke the protocol; returns it, to be stopped.
    package mutating func markViolation(slot: Int, _ reason: String) -> Handle? {
        guard let handle = slots[slot].handle else { return nil }
        slots[slot].violation = reason
        return handle
    }

    /// Writing the job to its worker failed: the worker is already gone and never saw the job.
    /// The job goes back to the front of the queue, and nothing more is sent to that worker.
    /// Returns the job to send to another idle worker, if there is one.
    package mutating func sendFailed(slot: Int, generation: UInt64, jobID: UInt64) -> Send? {
        guard let running = inFlight[jobID], running.slot == slot, running.generation == generation,
            slots[slot].generation == generation
        else { return nil }
        inFlight[jobID] = nil
        slots[slot].state = .starting
        if running.answered { return nil }
        queue.prepend(running.job)
        guard let idle = nextIdleSlot() else { return nil }
        return dispatchNext(to: idle)
    }

    /// The process of `slot` ended. Returns the job it was running, unless that was answered,
    /// and the protocol violation the parent stopped it for, if any.
    package mutating func workerExited(slot: Int, generation: UInt64) -> (job: Job?, violation: String?) {
        guard slots[slot].generation == generation else { return (nil, nil) }
        var failed: Job?
        if case .busy(let jobID) = slots[slot].state, let running = inFlight.removeValue(forKey: jobID),
            !running.answered
        {
            failed = running.job
        }
        let violation = slots[slot].violation
        slots[slot].violation = nil
        slots[slot].handle = nil
        slots[slot].state = lifecycle == .running ? .starting : .stopped
        return (failed, violation)
    }

    // MARK: Shutdown

    /// Stops intake. Returns the queued jobs, to be rejected.
    package mutating func beginShutdown() -> [Job] {
        lifecycle = .draining
        for index in slots.indices where slots[index].state == .starting || slots[index].state == .idle {
            if slots[index].handle == nil { slots[index].state = .stopped }
        }
        return queue.removeAll()
    }

    /// Answers every running job that was not answered yet: the grace period of a shutdown ended.
    package mutating func abandonRunningJobs() -> [Job] {
        var abandoned: [Job] = []
        for (id, running) in inFlight where !running.answered {
            inFlight[id]?.answered = true
            abandoned.append(running.job)
        }
        return abandoned
    }

    /// Whether no job is waiting for an answer from a worker.
    package var isDrained: Bool { !inFlight.values.contains { !$0.answered } && queue.isEmpty }

    /// The handles of every running process.
    package var handles: [Handle] { slots.compactMap(\.handle) }

    // MARK: Helpers

    private mutating func nextIdleSlot() -> Int? {
        for offset in 0..<slots.count {
            let index = (nextSlot + offset) % slots.count
            if slots[index].state == .idle {
                nextSlot = (index + 1) % slots.count
                return index
            }
        }
        return nil
    }

    private mutating func dispatchNext(to slot: Int) -> Send? {
        guard lifecycle == .running, let job = queue.popFirst() else { return nil }
        return assign(job, to: slot)
    }

    private mutating func assign(_ job: Job, to slot: Int) -> Send {
        let generation = slots[slot].generation
        slots[slot].state = .busy(jobID: job.id)
        inFlight[job.id] = InFlight(job: job, slot: slot, generation: generation, answered: false)
        return Send(job: job, handle: slots[slot].handle!, slot: slot, generation: generation)
    }

    static func shuttingDownError(_ job: Job) -> TaskError {
        TaskError(
            kind: .rejected, type: "Parallax.PoolShuttingDown",
            message: "task '\(job.name)' was not run: the worker pool is shutting down")
    }

    static func unavailableError(_ job: Job, _ failure: TaskError) -> TaskError {
        TaskError(
            kind: .rejected, type: "Parallax.NoWorkerAvailable",
            message: "task '\(job.name)' was not run: no worker could start (\(failure.message))",
            trace: failure.trace)
    }
}

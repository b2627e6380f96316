/// The pool's bookkeeping as a pure state machine: which worker holds which jobs, what waits, and
/// what to do next. It performs no I/O; ``PoolStorage`` holds it under a lock and carries out the
/// actions it returns outside the lock. Its slots are private: the storage asks, it does not read.
///
/// Every frame the machine orders for a worker (a run, a cancel) carries a sequence number of that
/// worker process, so that the worker receives the frames in the order the machine decided them,
/// whichever thread writes them and whenever (see ``WorkerProcess/enqueue(kind:id:payload:sequence:)``).
///
/// Each slot runs one worker process at a time, known by the slot's `generation`, so that late
/// events from a process that was already replaced are ignored. A worker holds up to
/// `pipelineDepth` jobs: it runs them one at a time in the order they were sent, so the first
/// job it holds is the one running and the others have not started. When a worker dies, the
/// running job fails and the others go back to the front of the queue, in order.
package struct PoolStateMachine<Handle: Sendable>: Sendable {
    /// Where the pool is in its life. It only moves forward.
    package enum Lifecycle: Sendable, Equatable, Comparable {
        /// Taking jobs. Jobs submitted before ``begin()`` queue until workers start.
        case running
        /// Intake stopped (a shutdown, or the pool gave up): queued jobs run (a draining
        /// shutdown) or were rejected, and running ones may finish.
        case draining
        /// The workers' channels are closed: every worker ends, and no process starts.
        case closing
        /// Every slot has stopped: ``WorkerPool/run()`` returns.
        case stopped
    }

    /// Something a task of the pool waits for (see ``wait(for:_:)``).
    package enum Condition: Sendable, Equatable {
        /// ``requestShutdown(drain:)`` was called.
        case shutdownRequested
        /// Intake stopped and no job waits for an answer or a worker any more.
        case drained
        /// No slot gets a new worker any more: a restart backoff ends early.
        case spawningStopped
        /// Every slot has stopped.
        case allSlotsStopped
        /// At least this many workers completed their handshake since the pool began.
        case startedWorkers(Int)
        /// A submitter that waits for room may try again: the queue has room, or intake stopped.
        case room
    }

    private struct Slot: Sendable {
        package var generation: UInt64 = 0
        package var handle: Handle?
        /// Whether the process completed its handshake and may be sent jobs.
        package var isReady = false
        /// The ids of the jobs sent to the process, in order; the first is running.
        package var sent: [UInt64] = []
        /// Why the last start attempt failed, cleared by a successful start.
        package var startFailure: TaskError?
        /// Why the parent is stopping this slot's process for breaking the protocol.
        package var violation: String?
        /// How many tasks the current process answered.
        package var answered = 0
        /// The process is being replaced: it takes no new jobs, and its channel closes once it
        /// holds none.
        package var isRetiring = false
        /// How many jobs started running in this slot: orders their deadlines (see
        /// ``SlotDeadlines``), so that a late deadline never replaces a newer job's.
        package var starts: UInt64 = 0
        /// The current process completed its handshake.
        package var hasStarted = false
        /// How many processes this slot started.
        package var processes = 0
        /// The slot gets no process any more: the pool is stopping or stopped.
        package var isStopped = false
        /// How many frames were ordered for the current process: numbers the next one.
        package var frames: UInt64 = 0

        /// Numbers the next frame ordered for the current process.
        mutating func nextFrame() -> UInt64 {
            frames &+= 1
            return frames
        }
    }

    /// What a slot is doing, for ``WorkerPool/workers``.
    package struct SlotStatus: Sendable {
        package var slot: Int
        package var handle: Handle?
        package var state: WorkerPool.WorkerStatus.State
        package var tasksAnswered: Int
        package var tasksHeld: Int
        package var restarts: Int
    }

    /// What every slot is doing now.
    package var slotStatuses: [SlotStatus] {
        slots.indices.map { index in
            let slot = slots[index]
            let state: WorkerPool.WorkerStatus.State
            if slot.isStopped {
                state = .stopped
            } else if slot.handle == nil || !slot.hasStarted {
                state = .starting
            } else if slot.isRetiring || !slot.isReady {
                state = .stopping
            } else {
                state = slot.sent.isEmpty ? .idle : .busy
            }
            return SlotStatus(
                slot: index, handle: slot.handle, state: state, tasksAnswered: slot.answered,
                tasksHeld: slot.sent.count, restarts: max(0, slot.processes - 1))
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
        /// Whether the job runs at once (the worker holds nothing else): its timeout starts now.
        package var startsRunning: Bool
        /// The slot's count of started jobs, this one included, when it starts running.
        package var start: UInt64
        /// The run frame's place among the frames ordered for the process.
        package var sequence: UInt64
    }

    /// A job that just started running, whose timeout starts now.
    package struct Started: Sendable {
        package var job: Job
        package var slot: Int
        package var generation: UInt64
        /// The slot's count of started jobs, this one included.
        package var start: UInt64
    }

    package enum SubmitAction: Sendable {
        case send(Send)
        case queued
        /// The queue holds `queueLimit` jobs already.
        case full(Job)
        case reject(Job, TaskError)
    }

    package enum CancelAction: Sendable {
        /// The job was still queued: it never runs.
        case removedFromQueue(Job)
        /// The job was running: answer it, send its worker the cancel frame numbered `sequence`,
        /// and stop the worker if it has not answered within the grace period
        /// (``cancelGraceExpired(jobID:generation:)``).
        case cancelRunning(Job, Handle, generation: UInt64, sequence: UInt64)
        /// The job was sent but has not started: answer it and send the worker the cancel frame
        /// numbered `sequence`, which makes it skip the job.
        case skip(Job, Handle, sequence: UInt64)
        /// Already finished or unknown.
        case none
    }

    /// What to do with a worker's answer.
    package enum FinishAction: Sendable {
        /// Answer `job` (nil when it was answered before), send `sends`, start the timeout of the
        /// job that runs next, and close the channel of `retire`: a retiring worker that is done.
        case finished(job: Job?, sends: [Send], started: Started?, retire: Handle?)
        /// A late answer from a worker that is being replaced.
        case ignore
        /// The worker answered a job it was not running: stop it; its running job fails with a
        /// protocol violation when it exits.
        case violation(Handle)
    }

    private var slots: [Slot]
    package private(set) var lifecycle: Lifecycle = .running
    /// Whether ``begin()`` was called: a pool runs once.
    private var hasBegun = false
    /// Whether ``requestShutdown(drain:)`` was called.
    package private(set) var shutdownRequested = false
    /// Why the pool stopped on its own (its workers failed too often), if it did, and the code
    /// ``WorkerPool/run()`` throws for it.
    package private(set) var failure: (error: TaskError, code: WorkerPoolError.Code)?
    /// How many workers completed their handshake since the pool began, replacements included.
    package private(set) var startedCount = 0
    /// How many slots have stopped for good.
    private var stoppedSlots = 0
    /// The tasks waiting for a condition, in the order they began to wait.
    private var waiters: [(condition: Condition, waiter: OneShot<Bool>)] = []
    package let pipelineDepth: Int
    private var queue = FIFOQueue<Job>()
    private var inFlight: [UInt64: InFlight] = [:]
    private var nextSlot = 0

    package let dispatch: DispatchStrategy
    /// How many jobs may wait for a worker.
    package let queueLimit: Int
    /// How many tasks a process answers before it is replaced.
    package let maximumTasks: Int?

    package init(
        slotCount: Int, pipelineDepth: Int = 1, dispatch: DispatchStrategy = .leastMailbox,
        queueLimit: Int = .max, maximumTasks: Int? = nil
    ) {
        precondition(slotCount > 0, "a pool needs at least one worker")
        precondition(pipelineDepth > 0, "a worker holds at least one job")
        slots = Array(repeating: Slot(), count: slotCount)
        self.pipelineDepth = pipelineDepth
        self.dispatch = dispatch
        self.queueLimit = queueLimit
        self.maximumTasks = maximumTasks
    }

    package var queuedCount: Int { queue.count }
    package var inFlightCount: Int { inFlight.count }

    /// Set when no worker can start: every slot's last start failed and none is ready.
    package var unavailable: TaskError? {
        // Fields read in place: a copy of each slot would retain everything it holds.
        for index in slots.indices where slots[index].isReady || slots[index].startFailure == nil {
            return nil
        }
        return slots.last?.startFailure
    }

    // MARK: Submitting

    package mutating func submit(_ job: Job) -> SubmitAction {
        if let failure { return .reject(job, TaskError.poolFailed(task: job.name, failure.error)) }
        guard lifecycle == .running else {
            return .reject(job, TaskError.shuttingDown(task: job.name))
        }
        if let failure = unavailable {
            return .reject(job, TaskError.noWorkerAvailable(task: job.name, failure))
        }
        if let slot = leastLoadedSlot() {
            return .send(assign(job, to: slot))
        }
        guard queue.count < queueLimit else { return .full(job) }
        queue.append(job)
        return .queued
    }

    /// What ``terminate(jobID:)`` decided.
    package enum TerminateAction: Sendable {
        /// The job runs: kill its worker, and leave the job to whatever comes first from it, its
        /// answer (sent before it died, it stays in the channel) or its death.
        case kill(Handle)
        /// The job did not run: cancel it as ``cancel(jobID:)`` decided.
        case cancel(CancelAction)
    }

    /// A running job's worker is to be killed at once, the job not answered until the worker
    /// answers or dies; a job that has not started is cancelled.
    package mutating func terminate(jobID: UInt64) -> TerminateAction {
        if let held = inFlight[jobID], !held.answered, slots[held.slot].sent.first == jobID,
            let handle = slots[held.slot].handle
        {
            slots[held.slot].isReady = false  // it is being stopped
            return .kill(handle)
        }
        return .cancel(cancel(jobID: jobID))
    }

    package mutating func cancel(jobID: UInt64) -> CancelAction {
        if let held = inFlight[jobID] {
            guard !held.answered, let handle = slots[held.slot].handle else { return .none }
            inFlight[jobID]?.answered = true
            let sequence = slots[held.slot].nextFrame()
            guard slots[held.slot].sent.first == jobID else {
                return .skip(held.job, handle, sequence: sequence)
            }
            return .cancelRunning(held.job, handle, generation: held.generation, sequence: sequence)
        }
        if let job = queue.removeAll(where: { $0.id == jobID }).first {
            return .removedFromQueue(job)
        }
        return .none
    }

    /// The grace period after cancelling a running job ended. Returns the worker to stop when it
    /// still runs that job; nothing more is sent to it.
    package mutating func cancelGraceExpired(jobID: UInt64, generation: UInt64) -> Handle? {
        guard let held = inFlight[jobID], held.generation == generation, slots[held.slot].sent.first == jobID,
            let handle = slots[held.slot].handle
        else { return nil }
        slots[held.slot].isReady = false
        return handle
    }

    /// The timeout of a running job expired: answer it and stop its worker.
    package mutating func timeoutExpired(jobID: UInt64, generation: UInt64) -> (Job, Handle)? {
        guard let held = inFlight[jobID], held.generation == generation, !held.answered,
            slots[held.slot].sent.first == jobID, let handle = slots[held.slot].handle
        else { return nil }
        inFlight[jobID]?.answered = true
        slots[held.slot].isReady = false  // it is being stopped
        return (held.job, handle)
    }

    // MARK: Worker events

    /// Whether a slot whose process ended gets a new one: while the pool runs, and while a
    /// shutdown drains queued jobs, until the channels close.
    package var needsWorkers: Bool {
        lifecycle == .running || (lifecycle == .draining && drainsQueue && !queue.isEmpty)
    }

    /// A new process for `slot` is about to start; returns its generation, or nil when the pool
    /// is shutting down and no process should start.
    package mutating func workerSpawning(slot: Int) -> UInt64? {
        slots[slot].isReady = false
        slots[slot].handle = nil
        slots[slot].hasStarted = false
        guard needsWorkers else {
            slots[slot].isStopped = true
            return nil
        }
        slots[slot].processes += 1
        slots[slot].generation &+= 1
        slots[slot].answered = 0
        slots[slot].isRetiring = false
        slots[slot].frames = 0
        return slots[slot].generation
    }

    /// The process was created; it is not ready before its handshake.
    /// - Returns: Whether its channel must close at once: the shutdown closed the others while
    ///   it started.
    @discardableResult
    package mutating func workerSpawned(slot: Int, generation: UInt64, handle: Handle) -> Bool {
        guard slots[slot].generation == generation else { return false }
        slots[slot].handle = handle
        return lifecycle >= .closing
    }

    /// The process completed its handshake: count it, and fill it with queued jobs.
    package mutating func workerStarted(slot: Int, generation: UInt64) -> [Send] {
        guard slots[slot].generation == generation else { return [] }
        startedCount += 1
        guard isDispatching else { return [] }
        slots[slot].startFailure = nil
        slots[slot].hasStarted = true
        slots[slot].isReady = true
        return fill(slot)
    }

    /// The process could not start or its bootstrap failed. When no worker is left to run them,
    /// the queued jobs are returned to be rejected.
    package mutating func workerFailedToStart(slot: Int, generation: UInt64, error: TaskError) -> [Job] {
        guard slots[slot].generation == generation else { return [] }
        slots[slot].startFailure = error
        slots[slot].handle = nil
        slots[slot].isReady = false
        guard unavailable != nil else { return [] }
        return queue.removeAll()
    }

    /// The worker in `slot` answered the job with `jobID`.
    package mutating func taskFinished(slot: Int, generation: UInt64, jobID: UInt64) -> FinishAction {
        guard slots[slot].generation == generation else { return .ignore }
        guard slots[slot].sent.first == jobID, let held = inFlight.removeValue(forKey: jobID) else {
            guard let handle = slots[slot].handle else { return .ignore }
            slots[slot].violation = "the worker answered task id \(jobID), which it was not running"
            return .violation(handle)
        }
        if slots[slot].sent.count == 1 {
            slots[slot].sent.removeAll(keepingCapacity: true)  // no allocation for the next job
        } else {
            slots[slot].sent.removeFirst()
        }
        slots[slot].answered += 1
        let answer = held.answered ? nil : held.job
        if let limit = maximumTasks, slots[slot].answered >= limit { slots[slot].isRetiring = true }
        var started: Started?
        if let next = slots[slot].sent.first, let held = inFlight[next] {
            slots[slot].starts &+= 1
            started = Started(job: held.job, slot: slot, generation: generation, start: slots[slot].starts)
        }
        if slots[slot].isRetiring {
            slots[slot].isReady = false
            let done = slots[slot].sent.isEmpty ? slots[slot].handle : nil
            return .finished(job: answer, sends: [], started: started, retire: done)
        }
        guard slots[slot].isReady else {
            // The worker is being stopped: nothing new goes to it.
            return .finished(job: answer, sends: [], started: nil, retire: nil)
        }
        return .finished(job: answer, sends: fill(slot), started: started, retire: nil)
    }

    /// Replaces the worker of `slot` once it holds no job (its memory grew past the ceiling).
    /// Returns its handle, to close its channel, when it holds none now.
    package mutating func retire(slot: Int, generation: UInt64) -> Handle? {
        guard slots[slot].generation == generation, slots[slot].handle != nil else { return nil }
        slots[slot].isRetiring = true
        slots[slot].isReady = false
        return slots[slot].sent.isEmpty ? slots[slot].handle : nil
    }

    /// Writing the job to its worker failed: the worker is already gone and never saw the job.
    /// The job goes back to the front of the queue, nothing more is sent to that worker, and the
    /// job goes to another worker if one can take it.
    package mutating func sendFailed(slot: Int, jobID: UInt64) -> [Send] {
        guard let held = inFlight[jobID], held.slot == slot, held.generation == slots[slot].generation else {
            return []
        }
        inFlight[jobID] = nil
        slots[slot].sent.removeAll { $0 == jobID }
        slots[slot].isReady = false
        if !held.answered { queue.prepend(held.job) }
        return fillAll()
    }

    /// What ``workerExited(slot:generation:neverRead:)`` found.
    package struct Exited: Sendable {
        /// The job the process was running, unless it was answered: it failed with the process.
        package var job: Job?
        /// The protocol violation the parent stopped the process for, if it did.
        package var violation: String?
        /// The jobs the process had not started, given to other workers.
        package var sends: [Send] = []
        /// How many tasks the process answered.
        package var answered = 0
        /// The process was replaced on purpose (recycling) and failed no job.
        package var retired = false
        /// The jobs it had not started, when the pool shuts down without draining: to be rejected.
        package var rejected: [Job] = []
    }

    /// The process of `slot` ended. The job it was running fails with it, unless that job was
    /// answered or its frame is among `neverRead`: the run frames the process never read whole,
    /// so never started (it died before it read them). The jobs it had not started go back to
    /// the front of the queue, and the returned sends give them to other workers.
    package mutating func workerExited(slot: Int, generation: UInt64, neverRead: [UInt64] = []) -> Exited {
        guard slots[slot].generation == generation else { return Exited() }
        let held = slots[slot].sent.compactMap { inFlight.removeValue(forKey: $0) }
        slots[slot].sent = []
        var exited = Exited()
        var notStarted = held.dropFirst()
        if let running = held.first {
            if neverRead.contains(running.job.id) {
                notStarted = held[...]
            } else if !running.answered {
                exited.job = running.job
            }
        }
        for waiting in notStarted.reversed() where !waiting.answered {
            // Past its intake and not draining, the pool rejects what it can no longer run.
            if isDispatching {
                queue.prepend(waiting.job)
            } else {
                exited.rejected.insert(waiting.job, at: 0)
            }
        }
        exited.violation = slots[slot].violation
        slots[slot].violation = nil
        slots[slot].handle = nil
        slots[slot].isReady = false
        exited.retired = slots[slot].isRetiring && exited.job == nil
        exited.answered = slots[slot].answered
        exited.sends = isDispatching ? fillAll() : []
        return exited
    }

    /// Records that the process `generation` of `slot` broke the protocol; returns it, to be
    /// stopped.
    package mutating func markViolation(slot: Int, generation: UInt64, _ reason: String) -> Handle? {
        guard slots[slot].generation == generation, let handle = slots[slot].handle else { return nil }
        slots[slot].violation = reason
        return handle
    }

    // MARK: Lifecycle

    /// The pool starts running its workers; false when it did before (a pool runs once).
    package mutating func begin() -> Bool {
        defer { hasBegun = true }
        return !hasBegun
    }

    /// Whether queued jobs still go to workers: while running, and while a shutdown drains the queue.
    private var isDispatching: Bool { lifecycle == .running || (lifecycle == .draining && drainsQueue) }
    private var drainsQueue = false

    /// The shutdown closes every worker's channel: returns the processes to close. Processes that
    /// start from now on are closed at once (``workerSpawned(slot:generation:handle:)``).
    package mutating func closeChannels() -> [Handle] {
        lifecycle = max(lifecycle, .closing)
        drainsQueue = false
        return handles
    }

    /// A slot stopped for good: it starts no process any more, and the ones it started are
    /// reaped. When the last one stops, the pool has stopped.
    package mutating func slotStopped() {
        stoppedSlots += 1
        if stoppedSlots == slots.count { lifecycle = .stopped }
    }

    /// Starts a shutdown: stops intake. With `drain`, the queued jobs still run; otherwise they
    /// are returned, to be rejected. Nil when a shutdown was requested before.
    package mutating func requestShutdown(drain: Bool = false) -> [Job]? {
        guard !shutdownRequested else { return nil }
        shutdownRequested = true
        return stopIntake(drain: drain)
    }

    private mutating func stopIntake(drain: Bool) -> [Job] {
        lifecycle = max(lifecycle, .draining)
        drainsQueue = drain && failure == nil && lifecycle == .draining
        return drainsQueue ? [] : queue.removeAll()
    }

    /// Ends the draining of the queue: the grace period is over. Returns the jobs still queued,
    /// to be rejected.
    package mutating func stopDraining() -> [Job] {
        drainsQueue = false
        return queue.removeAll()
    }

    /// The pool gives up: its workers failed in a way its supervision does not repair. Intake
    /// stops as for a shutdown; returns the queued jobs, to be rejected with the failure. Nil
    /// when the pool gave up before.
    package mutating func fail(_ error: TaskError, code: WorkerPoolError.Code) -> [Job]? {
        guard failure == nil else { return nil }
        failure = (error, code)
        return stopIntake(drain: false)
    }

    /// Answers every job a worker holds that was not answered yet: the grace period of a shutdown
    /// ended.
    package mutating func abandonRunningJobs() -> [Job] {
        var abandoned: [Job] = []
        for (id, held) in inFlight where !held.answered {
            inFlight[id]?.answered = true
            abandoned.append(held.job)
        }
        return abandoned
    }

    /// Whether no job is waiting for an answer from a worker.
    package var isDrained: Bool { !inFlight.values.contains { !$0.answered } && queue.isEmpty }

    // MARK: Waiting

    /// Whether `condition` holds now.
    package func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .shutdownRequested: shutdownRequested
        case .drained: lifecycle != .running && isDrained
        case .spawningStopped: !needsWorkers
        case .allSlotsStopped: lifecycle == .stopped
        case .startedWorkers(let count): startedCount >= count
        case .room: queue.count < queueLimit || lifecycle != .running
        }
    }

    /// Registers `waiter` for `condition`, unless it holds already.
    /// - Returns: Whether `condition` holds now (the waiter is then not kept).
    package mutating func wait(for condition: Condition, _ waiter: OneShot<Bool>) -> Bool {
        if holds(condition) { return true }
        waiters.append((condition, waiter))
        return false
    }

    /// Stops `waiter` from waiting (its time ran out, or its task was cancelled).
    /// - Returns: Whether it was still waiting.
    package mutating func stopWaiting(_ waiter: OneShot<Bool>) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.waiter === waiter }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Whether any task waits for a condition; checked after every transition.
    package var hasWaiters: Bool { !waiters.isEmpty }

    /// Removes and returns the waiters whose condition holds now, to be resumed with `true`.
    package mutating func readyWaiters() -> [OneShot<Bool>] {
        // The common case, a shutdown coordinator waiting while the pool runs, allocates nothing.
        guard waiters.contains(where: { holds($0.condition) }) else { return [] }
        var ready: [OneShot<Bool>] = []
        var waiting: [(condition: Condition, waiter: OneShot<Bool>)] = []
        for entry in waiters {
            if holds(entry.condition) {
                ready.append(entry.waiter)
            } else {
                waiting.append(entry)
            }
        }
        waiters = waiting
        return ready
    }

    // MARK: Queries

    /// The process `generation` of `slot`, while it is the slot's current one.
    package func handle(slot: Int, generation: UInt64) -> Handle? {
        slots[slot].generation == generation ? slots[slot].handle : nil
    }

    /// Whether the process `generation` of `slot` is current and holds no job: nobody needs to
    /// read its replies.
    package func holdsNoJob(slot: Int, generation: UInt64) -> Bool {
        slots[slot].generation == generation && slots[slot].sent.isEmpty
    }

    /// The process of `slot` and its generation when it is ready and holds no job.
    package func idleProcess(slot: Int) -> (Handle, generation: UInt64)? {
        guard slots[slot].isReady, slots[slot].sent.isEmpty, let handle = slots[slot].handle else {
            return nil
        }
        return (handle, slots[slot].generation)
    }

    /// The handles of every running process.
    package var handles: [Handle] { slots.compactMap(\.handle) }

    // MARK: Helpers

    /// The slot for the next job, by the dispatch strategy: a ready slot below the depth.
    private mutating func leastLoadedSlot() -> Int? {
        var best: Int?
        for offset in 0..<slots.count {
            let index = (nextSlot + offset) % slots.count
            // Read the fields in place: a copy of the slot would share its `sent` buffer and make
            // the next append copy it.
            let load = slots[index].sent.count
            guard slots[index].isReady, load < pipelineDepth else { continue }
            if dispatch.storage == .roundRobin {
                best = index  // the next one in turn that can take it
                break
            }
            if best == nil || load < slots[best!].sent.count { best = index }
            if load == 0 { break }
        }
        // Round robin moves on; least-loaded starts its next scan here, so that among idle workers
        // the one used last, whose caches and threads are warm, takes the next task.
        if let best { nextSlot = dispatch.storage == .roundRobin ? (best + 1) % slots.count : best }
        return best
    }

    /// Sends queued jobs to `slot` up to the depth.
    private mutating func fill(_ slot: Int) -> [Send] {
        var sends: [Send] = []
        while isDispatching, slots[slot].isReady, slots[slot].sent.count < pipelineDepth,
            let job = queue.popFirst()
        {
            sends.append(assign(job, to: slot))
        }
        return sends
    }

    /// Sends queued jobs to every slot that can take them.
    private mutating func fillAll() -> [Send] {
        var sends: [Send] = []
        while !queue.isEmpty, let slot = leastLoadedSlot(), let job = queue.popFirst() {
            sends.append(assign(job, to: slot))
        }
        return sends
    }

    private mutating func assign(_ job: Job, to slot: Int) -> Send {
        let generation = slots[slot].generation
        let startsRunning = slots[slot].sent.isEmpty
        if startsRunning { slots[slot].starts &+= 1 }
        slots[slot].sent.append(job.id)
        inFlight[job.id] = InFlight(job: job, slot: slot, generation: generation, answered: false)
        return Send(
            job: job, handle: slots[slot].handle!, slot: slot, generation: generation,
            startsRunning: startsRunning, start: slots[slot].starts, sequence: slots[slot].nextFrame())
    }
}

import Testing

@testable import Parallax

@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>

    static func job(_ id: UInt64) -> Job {
        Job(id: id, name: "task-\(id)", payload: [], timeout: nil) { _ in }
    }

    /// A machine whose slots all have a ready worker named "w0", "w1", ...
    static func ready(_ count: Int, depth: Int = 1, dispatch: DispatchStrategy = .leastMailbox) -> Machine {
        var machine = Machine(slotCount: count, pipelineDepth: depth, dispatch: dispatch)
        for slot in 0..<count {
            let generation = machine.workerSpawning(slot: slot)!
            machine.workerSpawned(slot: slot, generation: generation, handle: "w\(slot)")
            #expect(machine.workerStarted(slot: slot, generation: generation).isEmpty)
        }
        return machine
    }

    static func send(_ action: Machine.SubmitAction) -> Machine.Send? {
        if case .send(let send) = action { return send }
        return nil
    }

    static func finished(_ action: Machine.FinishAction) -> (
        job: Job?, sends: [Machine.Send], started: Machine.Started?
    )? {
        if case .finished(let job, let sends, let started, _) = action { return (job, sends, started) }
        return nil
    }

    @Test func aTaskGoesToAnIdleWorkerAndTheNextOneWaits() throws {
        var machine = Self.ready(1)
        let send = try #require(Self.send(machine.submit(Self.job(1))))
        #expect(send.handle == "w0")
        #expect(send.startsRunning)
        guard case .queued = machine.submit(Self.job(2)) else {
            Issue.record("expected the second task to queue")
            return
        }
        let finished = try #require(
            Self.finished(machine.taskFinished(slot: 0, generation: send.generation, jobID: 1)))
        #expect(finished.job?.id == 1)
        #expect(finished.sends.map(\.job.id) == [2])
        #expect(finished.sends.first?.startsRunning == true)
    }

    @Test func theFramesOrderedForAWorkerAreNumberedPerProcess() throws {
        var machine = Self.ready(1, depth: 2)
        let first = try #require(Self.send(machine.submit(Self.job(1))))
        let second = try #require(Self.send(machine.submit(Self.job(2))))
        #expect([first.sequence, second.sequence] == [1, 2])
        guard case .skip(_, _, let cancel) = machine.cancel(jobID: 2) else {
            Issue.record("expected the job sent ahead to be skipped")
            return
        }
        #expect(cancel == 3)
        // A new process of the slot starts counting again.
        _ = machine.workerExited(slot: 0, generation: first.generation)
        let spawned = machine.workerSpawning(slot: 0)
        let generation = try #require(spawned)
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0'")
        _ = machine.workerStarted(slot: 0, generation: generation)
        let next = try #require(Self.send(machine.submit(Self.job(3))))
        #expect(next.sequence == 1)
    }

    @Test func idleWorkersAreUsedBeforeAnyTaskQueues() {
        var machine = Self.ready(2)
        var handles: [String] = []
        for id in 1...2 {
            if let send = Self.send(machine.submit(Self.job(UInt64(id)))) { handles.append(send.handle) }
        }
        #expect(Set(handles) == ["w0", "w1"])
        #expect(machine.queuedCount == 0)
    }

    @Test func theLeastLoadedWorkerTakesTheNextTaskAndTheRunningOneCounts() throws {
        var machine = Self.ready(2, depth: 3)
        let first = try #require(Self.send(machine.submit(Self.job(1))))
        let second = try #require(Self.send(machine.submit(Self.job(2))))
        #expect(first.handle != second.handle)
        // Both hold one task; the third goes to either, the fourth to the other.
        let third = try #require(Self.send(machine.submit(Self.job(3))))
        let fourth = try #require(Self.send(machine.submit(Self.job(4))))
        #expect(third.handle != fourth.handle)
        #expect(!third.startsRunning && !fourth.startsRunning)
    }

    @Test func aWorkerHoldsUpToTheDepthAndRunsThemInOrder() throws {
        var machine = Self.ready(1, depth: 2)
        let first = try #require(Self.send(machine.submit(Self.job(1))))
        let second = try #require(Self.send(machine.submit(Self.job(2))))
        #expect(first.startsRunning && !second.startsRunning)
        guard case .queued = machine.submit(Self.job(3)) else {
            Issue.record("a worker holds at most the depth")
            return
        }
        let finished = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 1)))
        #expect(finished.job?.id == 1)
        #expect(finished.started?.job.id == 2)
        #expect(finished.sends.map(\.job.id) == [3])
    }

    @Test func aCrashFailsOnlyTheRunningTaskAndTheOthersGoBackToTheFrontOfTheQueue() throws {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        _ = machine.submit(Self.job(3))
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.job?.id == 1)
        #expect(exited.sends.isEmpty)
        #expect(machine.queuedCount == 2)
        let spawning = machine.workerSpawning(slot: 0)
        let generation = try #require(spawning)
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0-again")
        let sends = machine.workerStarted(slot: 0, generation: generation)
        #expect(sends.map(\.job.id) == [2, 3])
        #expect(sends.allSatisfy { $0.handle == "w0-again" })
    }

    @Test func aTaskTheDeadWorkerNeverReadGoesBackToTheQueueInsteadOfFailing() throws {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let exited = machine.workerExited(slot: 0, generation: 1, neverRead: [1, 2])
        #expect(exited.job == nil)
        #expect(!exited.retired)
        #expect(machine.queuedCount == 2)
        let spawning = machine.workerSpawning(slot: 0)
        let generation = try #require(spawning)
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0-again")
        #expect(machine.workerStarted(slot: 0, generation: generation).map(\.job.id) == [1, 2])
    }

    @Test func aTaskTheDeadWorkerReadIsBlamedEvenWhenTheOnesBehindItWereNotRead() {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let exited = machine.workerExited(slot: 0, generation: 1, neverRead: [2])
        #expect(exited.job?.id == 1)
        #expect(machine.queuedCount == 1)
    }

    @Test func tasksAWorkerHadNotStartedGoToAnotherWorkerAtOnce() {
        var machine = Self.ready(2, depth: 2)
        for id in 1...4 { _ = machine.submit(Self.job(UInt64(id))) }
        // w0 holds 1 and 4, w1 holds 2 and 3 (a tie goes to the worker used last). w1 finishes
        // both, then w0 dies.
        _ = machine.taskFinished(slot: 1, generation: 1, jobID: 2)
        _ = machine.taskFinished(slot: 1, generation: 1, jobID: 3)
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.job?.id == 1)
        #expect(exited.sends.map(\.job.id) == [4])
        #expect(exited.sends.first?.handle == "w1")
    }

    @Test func eventsFromAReplacedProcessAreIgnored() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.workerExited(slot: 0, generation: 1)
        guard case .ignore = machine.taskFinished(slot: 0, generation: 1, jobID: 1) else {
            Issue.record("a stale answer must be ignored")
            return
        }
        #expect(machine.workerExited(slot: 0, generation: 1).job == nil)
    }

    @Test func anAnswerForATaskTheWorkerIsNotRunningIsAProtocolViolation() {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        guard case .violation(let handle) = machine.taskFinished(slot: 0, generation: 1, jobID: 2) else {
            Issue.record("answering the second task before the first is a violation")
            return
        }
        #expect(handle == "w0")
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.job?.id == 1)
        #expect(exited.violation?.contains("2") == true)
    }

    @Test func aTimedOutTaskIsAnsweredOnceAndItsLateResultIsDropped() throws {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let waiting = machine.timeoutExpired(jobID: 2, generation: 1)
        #expect(waiting == nil, "only the running task can time out")
        let first = machine.timeoutExpired(jobID: 1, generation: 1)
        let expired = try #require(first)
        #expect(expired.0.id == 1)
        #expect(expired.1 == "w0")
        let again = machine.timeoutExpired(jobID: 1, generation: 1)
        #expect(again == nil)
        let late = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 1)))
        #expect(late.job == nil)
        #expect(late.sends.isEmpty, "nothing new goes to a worker being stopped")
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.job?.id == 2, "the task that started after the late answer was running")
    }

    @Test func cancellingTasksAnswersThemWhereverTheyAre() throws {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        _ = machine.submit(Self.job(3))
        guard case .removedFromQueue(let queued) = machine.cancel(jobID: 3) else {
            Issue.record("expected the queued task to be removed")
            return
        }
        #expect(queued.id == 3 && machine.queuedCount == 0)
        guard case .skip(let waiting, let skipHandle, _) = machine.cancel(jobID: 2) else {
            Issue.record("expected the task sent ahead to be skipped")
            return
        }
        #expect(waiting.id == 2 && skipHandle == "w0")
        guard case .cancelRunning(let running, let handle, let generation, _) = machine.cancel(jobID: 1)
        else {
            Issue.record("expected the running task to be cancelled in its worker")
            return
        }
        #expect(running.id == 1 && handle == "w0")
        // The worker did not answer within the grace period: it is stopped, and takes nothing new.
        #expect(machine.cancelGraceExpired(jobID: 1, generation: generation) == "w0")
        guard case .queued = machine.submit(Self.job(9)) else {
            Issue.record("a worker being stopped takes no new task")
            return
        }
        guard case .none = machine.cancel(jobID: 1) else {
            Issue.record("a task is answered once")
            return
        }
    }

    /// Terminating a running task kills its worker without answering it: the answer the worker
    /// sent before it died is the task's, else its death is; a task that has not started is
    /// cancelled.
    @Test func aTerminatedTaskKeepsTheAnswerItsWorkerSentAndIsOtherwiseAnsweredByItsDeath() throws {
        var machine = Self.ready(1, depth: 2)
        let first = try #require(Self.send(machine.submit(Self.job(1))))
        _ = machine.submit(Self.job(2))
        guard case .cancel(.skip(let waiting, _, _)) = machine.terminate(jobID: 2) else {
            Issue.record("expected the task sent ahead to be skipped")
            return
        }
        #expect(waiting.id == 2)
        guard case .kill(let handle) = machine.terminate(jobID: 1) else {
            Issue.record("expected the running task's worker to be killed")
            return
        }
        #expect(handle == "w0")
        guard case .queued = machine.submit(Self.job(9)) else {
            Issue.record("a worker being killed takes no new task")
            return
        }
        // Its answer, read after the kill, is still the task's.
        let finished = try #require(
            Self.finished(machine.taskFinished(slot: 0, generation: first.generation, jobID: 1)))
        #expect(finished.job?.id == 1)

        // Without an answer, the worker's death answers it.
        var other = Self.ready(1)
        let running = try #require(Self.send(other.submit(Self.job(5))))
        guard case .kill = other.terminate(jobID: 5) else {
            Issue.record("expected the running task's worker to be killed")
            return
        }
        #expect(other.workerExited(slot: 0, generation: running.generation).job?.id == 5)
    }

    @Test func aSkippedTaskIsDroppedWhenTheWorkerReportsIt() throws {
        var machine = Self.ready(1, depth: 2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        _ = machine.cancel(jobID: 2)
        let first = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 1)))
        #expect(first.job?.id == 1)
        let skipped = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 2)))
        #expect(skipped.job == nil)
        #expect(machine.isDrained)
    }

    @Test func aFailedWriteRequeuesTheTaskForAnotherWorker() {
        var machine = Self.ready(2)
        _ = machine.submit(Self.job(1))
        let sends = machine.sendFailed(slot: 0, jobID: 1)
        #expect(sends.map(\.job.id) == [1])
        #expect(sends.first?.handle == "w1")
    }

    @Test func shutdownRejectsQueuedTasksAndRefusesNewOnes() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let rejected = machine.requestShutdown() ?? []
        #expect(rejected.map(\.id) == [2])
        guard case .reject(_, let error) = machine.submit(Self.job(3)) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(error.kind == .rejected)
        #expect(!machine.isDrained)
        _ = machine.taskFinished(slot: 0, generation: 1, jobID: 1)
        #expect(machine.isDrained)
        #expect(machine.workerSpawning(slot: 0) == nil)
    }

    @Test func whenNoWorkerCanStartQueuedAndNewTasksAreRejected() {
        var machine = Machine(slotCount: 2)
        _ = machine.submit(Self.job(1))
        let failure = TaskError(kind: .threw, type: "Boot", message: "no database")
        let g0 = machine.workerSpawning(slot: 0)!
        #expect(machine.workerFailedToStart(slot: 0, generation: g0, error: failure).isEmpty)
        let g1 = machine.workerSpawning(slot: 1)!
        #expect(machine.workerFailedToStart(slot: 1, generation: g1, error: failure).map(\.id) == [1])
        guard case .reject(_, let error) = machine.submit(Self.job(2)) else {
            Issue.record("expected a rejection while no worker can start")
            return
        }
        #expect(error.message.contains("no database"))
        // A worker that starts again makes the pool available.
        let again = machine.workerSpawning(slot: 0)!
        machine.workerSpawned(slot: 0, generation: again, handle: "w0")
        _ = machine.workerStarted(slot: 0, generation: again)
        #expect(Self.send(machine.submit(Self.job(3))) != nil)
    }

    @Test func abandoningRunningTasksAtTheEndOfGraceAnswersEachOnce() {
        var machine = Self.ready(2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        _ = machine.requestShutdown()
        #expect(Set(machine.abandonRunningJobs().map(\.id)) == [1, 2])
        #expect(machine.abandonRunningJobs().isEmpty)
        #expect(machine.isDrained)
    }

    @Test func leastMailboxSendsANewTaskToTheIdleWorkerNotTheNextInTurn() throws {
        var machine = Self.ready(2, depth: 2)
        _ = machine.submit(Self.job(1))  // w0
        _ = machine.submit(Self.job(2))  // w1
        _ = machine.taskFinished(slot: 1, generation: 1, jobID: 2)
        // w0 still runs job 1 and is next in turn; w1 is idle.
        let send = try #require(Self.send(machine.submit(Self.job(3))))
        #expect(send.handle == "w1")
    }

    @Test func leastMailboxGivesATaskToTheIdleWorkerUsedLast() throws {
        var machine = Self.ready(3)
        for id in 1...6 {
            let send = try #require(Self.send(machine.submit(Self.job(UInt64(id)))))
            // One task at a time: the same warm worker each time, not the next in turn.
            #expect(send.handle == "w0")
            _ = machine.taskFinished(slot: 0, generation: 1, jobID: UInt64(id))
        }
        // Two at once: the second goes to an idle worker.
        #expect(try #require(Self.send(machine.submit(Self.job(7)))).handle == "w0")
        #expect(try #require(Self.send(machine.submit(Self.job(8)))).handle == "w1")
    }

    @Test func roundRobinTakesWorkersInTurnAndSkipsFullAndCrashedOnes() throws {
        var machine = Self.ready(3, depth: 2, dispatch: .roundRobin)
        var handles: [String] = []
        for id in 1...3 {
            handles.append(try #require(Self.send(machine.submit(Self.job(UInt64(id))))).handle)
        }
        #expect(handles == ["w0", "w1", "w2"])
        // w1 dies: the turn skips it.
        _ = machine.workerExited(slot: 1, generation: 1)
        handles = []
        for id in 4...5 {
            handles.append(try #require(Self.send(machine.submit(Self.job(UInt64(id))))).handle)
        }
        #expect(handles == ["w0", "w2"])
        // w0 and w2 are full now (depth 2): the next task waits instead of failing.
        guard case .queued = machine.submit(Self.job(6)) else {
            Issue.record("a task waits when every worker is full")
            return
        }
    }

    @Test func aFullMailboxRefusesTheNextTask() {
        var machine = Machine(slotCount: 1, queueLimit: 2)
        let generation = machine.workerSpawning(slot: 0)!
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0")
        _ = machine.workerStarted(slot: 0, generation: generation)
        _ = machine.submit(Self.job(1))  // runs
        _ = machine.submit(Self.job(2))  // waits
        _ = machine.submit(Self.job(3))  // waits
        guard case .full(let job) = machine.submit(Self.job(4)) else {
            Issue.record("expected the mailbox to be full")
            return
        }
        #expect(job.id == 4)
        #expect(machine.queuedCount == 2)
    }

    @Test func aWorkerIsRetiredAfterItsTaskLimitAndNothingIsLost() {
        var machine = Machine(slotCount: 1, pipelineDepth: 2, maximumTasks: 2)
        let generation = machine.workerSpawning(slot: 0)!
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0")
        _ = machine.workerStarted(slot: 0, generation: generation)
        for id in 1...3 { _ = machine.submit(Self.job(UInt64(id))) }  // 1 and 2 sent, 3 waits
        guard
            case .finished(.some, let sends, _, nil) = machine.taskFinished(slot: 0, generation: 1, jobID: 1)
        else {
            Issue.record("the first answer completes its task")
            return
        }
        #expect(sends.map(\.job.id) == [3])
        guard
            case .finished(.some, let none, _, let retire) = machine.taskFinished(
                slot: 0, generation: 1, jobID: 2)
        else {
            Issue.record("the second answer completes its task")
            return
        }
        #expect(none.isEmpty)
        #expect(retire == nil, "job 3 is still in the worker")
        guard case .finished(.some, _, _, let done) = machine.taskFinished(slot: 0, generation: 1, jobID: 3)
        else {
            Issue.record("the third answer completes its task")
            return
        }
        #expect(done == "w0")
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.retired && exited.job == nil)
    }

    @Test func aCancelledTaskThatTheWorkerStopsInTimeKeepsTheWorker() throws {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))  // waits
        guard case .cancelRunning(_, _, let generation, _) = machine.cancel(jobID: 1) else {
            Issue.record("expected the running task to be cancelled in its worker")
            return
        }
        // The worker answers (its task saw the cancellation): the answer is dropped, the worker
        // goes on with the next task, and the grace timer finds nothing to stop.
        let answered = try #require(
            Self.finished(machine.taskFinished(slot: 0, generation: generation, jobID: 1)))
        #expect(answered.job == nil)
        #expect(answered.sends.map(\.job.id) == [2])
        #expect(machine.cancelGraceExpired(jobID: 1, generation: generation) == nil)
    }

    @Test func aDrainingShutdownStillRunsTheQueueUntilItIsStopped() throws {
        var machine = Self.ready(1)
        for id in 1...3 { _ = machine.submit(Self.job(UInt64(id))) }
        #expect(machine.requestShutdown(drain: true)?.isEmpty == true)
        let first = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 1)))
        #expect(first.sends.map(\.job.id) == [2])
        #expect(machine.stopDraining().map(\.id) == [3])
        let second = try #require(Self.finished(machine.taskFinished(slot: 0, generation: 1, jobID: 2)))
        #expect(second.sends.isEmpty)
        #expect(machine.isDrained)
    }

    // MARK: Lifecycle and waiting

    @Test func aPoolBeginsOnce() {
        var machine = Machine(slotCount: 1)
        let first = machine.begin()
        #expect(first)
        let second = machine.begin()
        #expect(!second)
    }

    @Test func aShutdownWakesItsWaiterOnceAndMovesTheLifecycleForward() {
        var machine = Self.ready(2)
        let coordinator = OneShot<Bool>()
        let holdsAlready = machine.wait(for: .shutdownRequested, coordinator)
        #expect(!holdsAlready)
        #expect(machine.readyWaiters().isEmpty)
        #expect(machine.lifecycle == .running)
        #expect(machine.requestShutdown() != nil)
        #expect(machine.readyWaiters().map { $0 === coordinator } == [true])
        #expect(machine.requestShutdown() == nil, "a second shutdown request does nothing")
        #expect(machine.lifecycle == .draining)
        #expect(machine.closeChannels() == ["w0", "w1"])
        #expect(machine.lifecycle == .closing)
        let stopped = OneShot<Bool>()
        let stoppedAlready = machine.wait(for: .allSlotsStopped, stopped)
        #expect(!stoppedAlready)
        for slot in 0..<2 {
            #expect(machine.workerSpawning(slot: slot) == nil, "no process starts once the channels close")
            #expect(machine.readyWaiters().isEmpty)
            machine.slotStopped()
        }
        #expect(machine.lifecycle == .stopped)
        #expect(machine.readyWaiters().map { $0 === stopped } == [true])
    }

    @Test func theDrainedConditionHoldsOnceTheLastHeldJobIsAnsweredAfterAShutdown() throws {
        var machine = Self.ready(1)
        let send = try #require(Self.send(machine.submit(Self.job(1))))
        let drained = OneShot<Bool>()
        let holdsAlready = machine.wait(for: .drained, drained)
        #expect(!holdsAlready)
        _ = machine.requestShutdown()
        #expect(machine.readyWaiters().isEmpty, "a job is still running")
        _ = machine.taskFinished(slot: 0, generation: send.generation, jobID: 1)
        #expect(machine.readyWaiters().map { $0 === drained } == [true])
    }

    @Test func aSubmitterWaitingForRoomIsWokenWhenAJobLeavesTheQueue() throws {
        var machine = Machine(slotCount: 1, queueLimit: 1)
        let spawned = machine.workerSpawning(slot: 0)
        let generation = try #require(spawned)
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0")
        _ = machine.workerStarted(slot: 0, generation: generation)
        _ = machine.submit(Self.job(1))  // runs
        _ = machine.submit(Self.job(2))  // queued: the queue is full
        guard case .full = machine.submit(Self.job(3)) else {
            Issue.record("expected the queue to be full")
            return
        }
        let submitter = OneShot<Bool>()
        let holdsAlready = machine.wait(for: .room, submitter)
        #expect(!holdsAlready)
        _ = machine.taskFinished(slot: 0, generation: generation, jobID: 1)  // job 2 leaves the queue
        #expect(machine.readyWaiters().map { $0 === submitter } == [true])
    }

    @Test func aWaiterWhoseTimeRanOutLeavesAndIsNotWokenLater() {
        var machine = Self.ready(1)
        let waiter = OneShot<Bool>()
        let holdsAlready = machine.wait(for: .shutdownRequested, waiter)
        #expect(!holdsAlready)
        let wasWaiting = machine.stopWaiting(waiter)
        #expect(wasWaiting)
        let stillWaiting = machine.stopWaiting(waiter)
        #expect(!stillWaiting)
        _ = machine.requestShutdown()
        #expect(machine.readyWaiters().isEmpty)
        #expect(!machine.hasWaiters)
    }

    @Test func startedWorkersAreCountedWhenTheyCanTakeJobs() throws {
        var machine = Machine(slotCount: 2)
        let two = OneShot<Bool>()
        let holdsAlready = machine.wait(for: .startedWorkers(2), two)
        #expect(!holdsAlready)
        for slot in 0..<2 {
            let spawned = machine.workerSpawning(slot: slot)
            let generation = try #require(spawned)
            machine.workerSpawned(slot: slot, generation: generation, handle: "w\(slot)")
            #expect(machine.readyWaiters().isEmpty, "spawned is not started")
            _ = machine.workerStarted(slot: slot, generation: generation)
        }
        #expect(machine.startedCount == 2)
        #expect(machine.readyWaiters().map { $0 === two } == [true])
    }

    @Test func spawningStopsAtAShutdownUnlessItDrainsAQueue() throws {
        var machine = Self.ready(1)
        #expect(!machine.holds(.spawningStopped))
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))  // queued
        _ = machine.requestShutdown(drain: true)
        #expect(
            !machine.holds(.spawningStopped), "a draining shutdown replaces workers while jobs are queued")
        _ = machine.taskFinished(slot: 0, generation: 1, jobID: 1)  // job 2 leaves the queue
        #expect(machine.holds(.spawningStopped))
    }

    @Test func givingUpRecordsTheReasonAndTheCodeOnce() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))  // queued
        let rejected = machine.fail(
            TaskError.poolFailed("too many restarts"), code: .restartIntensityExceeded)
        #expect(rejected?.map(\.id) == [2])
        #expect(machine.failure?.code == .restartIntensityExceeded)
        #expect(machine.lifecycle == .draining)
        #expect(!machine.shutdownRequested, "the storage requests the shutdown itself")
        #expect(machine.fail(TaskError.poolFailed("again"), code: .workerFailed) == nil)
        #expect(machine.failure?.error.message == "too many restarts")
    }
}

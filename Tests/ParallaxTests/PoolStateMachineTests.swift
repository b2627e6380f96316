import Testing

@testable import Parallax

@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>

    static func job(_ id: UInt64) -> Job {
        Job(id: id, name: "task-\(id)", payload: [], timeout: nil) { _ in }
    }

    /// A machine whose slots all have a ready worker named "w0", "w1", ...
    static func ready(_ count: Int) -> Machine {
        var machine = Machine(slotCount: count)
        for slot in 0..<count {
            let generation = machine.workerSpawning(slot: slot)!
            machine.workerSpawned(slot: slot, generation: generation, handle: "w\(slot)")
            #expect(machine.workerStarted(slot: slot, generation: generation) == nil)
        }
        return machine
    }

    @Test func aTaskGoesToAnIdleWorkerAndTheNextOneWaits() {
        var machine = Self.ready(1)
        guard case .send(let send) = machine.submit(Self.job(1)) else {
            Issue.record("expected a send")
            return
        }
        #expect(send.handle == "w0")
        guard case .queued = machine.submit(Self.job(2)) else {
            Issue.record("expected the second task to queue")
            return
        }
        guard
            case .complete(let finished, let next) = machine.taskFinished(
                slot: 0, generation: send.generation, jobID: 1)
        else {
            Issue.record("expected the answer to complete the task")
            return
        }
        #expect(finished.id == 1)
        #expect(next?.job.id == 2)
    }

    @Test func idleWorkersAreUsedBeforeAnyTaskQueues() {
        var machine = Self.ready(2)
        var handles: [String] = []
        for id in 1...2 {
            if case .send(let send) = machine.submit(Self.job(UInt64(id))) { handles.append(send.handle) }
        }
        #expect(Set(handles) == ["w0", "w1"])
        #expect(machine.queuedCount == 0)
    }

    @Test func aCrashFailsOnlyTheRunningTaskAndQueuedTasksGoToTheReplacement() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let failed = machine.workerExited(slot: 0, generation: 1)
        #expect(failed.job?.id == 1)
        #expect(failed.violation == nil)
        #expect(machine.queuedCount == 1)
        let generation = machine.workerSpawning(slot: 0)!
        #expect(generation == 2)
        machine.workerSpawned(slot: 0, generation: generation, handle: "w0-again")
        let next = machine.workerStarted(slot: 0, generation: generation)
        #expect(next?.job.id == 2)
        #expect(next?.handle == "w0-again")
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
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        guard case .violation(let handle) = machine.taskFinished(slot: 0, generation: 1, jobID: 77) else {
            Issue.record("expected a violation")
            return
        }
        #expect(handle == "w0")
        let exited = machine.workerExited(slot: 0, generation: 1)
        #expect(exited.job?.id == 1)
        #expect(exited.violation?.contains("77") == true)
    }

    @Test func aTimedOutTaskIsAnsweredOnceAndItsLateResultIsDropped() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        let expired = machine.timeoutExpired(jobID: 1, generation: 1)
        #expect(expired?.0.id == 1)
        #expect(expired?.1 == "w0")
        #expect(machine.timeoutExpired(jobID: 1, generation: 1) == nil)
        guard case .ignore = machine.taskFinished(slot: 0, generation: 1, jobID: 1) else {
            Issue.record("a stale answer must be ignored")
            return
        }
        #expect(machine.workerExited(slot: 0, generation: 1).job == nil)
    }

    @Test func cancellingAQueuedTaskRemovesItWithoutTouchingWorkers() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        guard case .removedFromQueue(let job) = machine.cancel(jobID: 2) else {
            Issue.record("expected the queued task to be removed")
            return
        }
        #expect(job.id == 2)
        #expect(machine.queuedCount == 0)
        guard case .stopWorker(let running, let handle) = machine.cancel(jobID: 1) else {
            Issue.record("expected the running task's worker to be stopped")
            return
        }
        #expect(running.id == 1 && handle == "w0")
        guard case .none = machine.cancel(jobID: 1) else {
            Issue.record("a task is answered once")
            return
        }
    }

    @Test func shutdownRejectsQueuedTasksAndRefusesNewOnes() {
        var machine = Self.ready(1)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        let rejected = machine.beginShutdown()
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
        guard case .send = machine.submit(Self.job(3)) else {
            Issue.record("expected the recovered worker to take the task")
            return
        }
    }

    @Test func abandoningRunningTasksAtTheEndOfGraceAnswersEachOnce() {
        var machine = Self.ready(2)
        _ = machine.submit(Self.job(1))
        _ = machine.submit(Self.job(2))
        _ = machine.beginShutdown()
        #expect(Set(machine.abandonRunningJobs().map(\.id)) == [1, 2])
        #expect(machine.abandonRunningJobs().isEmpty)
        #expect(machine.isDrained)
    }
}

import FoundationEssentials
import Parallax
import Testing

@testable import ParallaxPostgres

/// The consumer's decisions, without a database or a pool.
struct ConsumerStateTests {
    static func claimed(_ task: Int64) -> QueueStatements.Claimed {
        QueueStatements.Claimed(
            task: task, group: UUID(), slot: Int(task), kind: "k", payload: [], attempt: 1,
            attemptID: task * 10,
            timeout: .seconds(1))
    }

    @Test func roomIsTheLimitLessWhatRunsAndNothingOnceFencedOrDraining() {
        var state = ConsumerState(limit: 3)
        #expect(state.room == 3)
        let outcome1 = state.admit(Self.claimed(1), jobID: 1, at: .zero)
        #expect(outcome1)
        #expect(state.room == 2)
        _ = state.fence()
        #expect(state.room == 0)
        state.resume()
        #expect(state.room == 2)
        state.drain()
        #expect(state.room == 0)
        state.resume()
        #expect(state.room == 0, "a draining consumer does not resume")
    }

    @Test func aClaimThatComesBackAfterAFenceIsNotStartedAndAfterADrainIsGivenBack() {
        var state = ConsumerState(limit: 3)
        _ = state.fence()
        let outcome2 = state.admit(Self.claimed(1), jobID: 1, at: .zero)
        #expect(!outcome2)
        #expect(state.takeWrites().isEmpty, "left to the reaper: the lease is gone")
        state.resume()
        state.drain()
        let outcome3 = state.admit(Self.claimed(2), jobID: 2, at: .zero)
        #expect(!outcome3)
        #expect(state.takeWrites().releases.map(\.task) == [2])
    }

    @Test func eachEndIsWrittenAsTheQueueRulesSay() {
        var state = ConsumerState(limit: 8)
        for task in Int64(1)...6 { _ = state.admit(Self.claimed(task), jobID: UInt64(task), at: .zero) }
        _ = state.cancelRequested([50])
        let outcome4 = state.ended(attemptID: 10, .success([1]))
        #expect(outcome4)
        let outcome5 = state.ended(attemptID: 20, .failure(TaskError(kind: .threw, type: "E", message: "no")))
        #expect(outcome5)
        let outcome6 = state.ended(
            attemptID: 30, .failure(TaskError(kind: .crashed, type: "C", message: "trap")))
        #expect(outcome6)
        let outcome7 = state.ended(attemptID: 40, .failure(.mailboxFull(task: "k", limit: 1)))
        #expect(outcome7)
        let outcome8 = state.ended(attemptID: 50, .failure(.cancelled(task: "k", running: true)))
        #expect(outcome8)
        let outcome9 = state.ended(
            attemptID: 60, .failure(.timedOut(task: "k", after: .seconds(1), workerPID: 9)))
        #expect(outcome9)
        let writes = state.takeWrites()
        #expect(writes.completions.map(\.task) == [1, 2, 5, 6])
        #expect(writes.completions.map(\.outcome) == [.value, .thrown, .cancelled, .timedOut])
        #expect(writes.retries.map(\.task) == [3])
        #expect(writes.releases.map(\.task) == [4])
        #expect(state.isIdle)
    }

    @Test func anAbandonedAttemptIsKilledAndOnlyAnOutcomeItReachedOnItsOwnGoesThroughItsToken() {
        var state = ConsumerState(limit: 8)
        _ = state.admit(Self.claimed(1), jobID: 1, at: .seconds(1))
        _ = state.admit(Self.claimed(2), jobID: 2, at: .seconds(1))
        _ = state.admit(Self.claimed(3), jobID: 3, at: .seconds(5))
        _ = state.admit(Self.claimed(4), jobID: 4, at: .seconds(5))
        // A renewal sent at 4 s holds attempt 10 only: 20 was taken back; 30 and 40 came after it.
        let outcome10 = state.reconcile(held: [10], sentAt: .seconds(4))
        #expect(outcome10 == [2])
        let outcome11 = state.ended(attemptID: 20, .failure(.cancelled(task: "k", running: true)))
        #expect(!outcome11, "its kill: left to the reaper, since the worker may not be gone yet")
        let outcome12 = state.fence()
        #expect(outcome12 == [1, 3, 4])
        #expect(state.room == 0)
        let outcome13 = state.ended(attemptID: 10, .success([7]))
        #expect(outcome13, "finished before its kill: its token decides whether it lands")
        let outcome14 = state.ended(
            attemptID: 30, .failure(TaskError(kind: .threw, type: "E", message: "no")))
        #expect(outcome14)
        let outcome15 = state.ended(
            attemptID: 40,
            .failure(TaskError(kind: .crashed, type: "Parallax.WorkerCrashed", message: "killed")))
        #expect(!outcome15)
        let writes = state.takeWrites()
        #expect(writes.completions.map(\.attemptID) == [10, 30])
        #expect(writes.completions.map(\.outcome) == [.value, .thrown])
        #expect(writes.retries.isEmpty && writes.releases.isEmpty)
        #expect(state.isIdle)
    }

    @Test func afterALostClaimAnswerOnlyAttemptsNeverStartedAreUnknownNotOnesKilledAndLeftToTheReaper() {
        var state = ConsumerState(limit: 8)
        _ = state.admit(Self.claimed(1), jobID: 1, at: .seconds(1))
        _ = state.admit(Self.claimed(2), jobID: 2, at: .seconds(1))
        _ = state.admit(Self.claimed(3), jobID: 3, at: .seconds(1))
        _ = state.ended(attemptID: 30, .success([]))  // waiting to be written
        _ = state.fence()
        // Its kill answered before the worker is surely gone: the reaper's, not to be given back.
        _ = state.ended(attemptID: 20, .failure(.cancelled(task: "k", running: true)))
        let held: [(task: Int64, attemptID: Int64)] = [(1, 10), (2, 20), (3, 30), (4, 40)]
        let unknown = state.unknown(among: held)
        #expect(unknown.map(\.attemptID) == [40], "only the lost claim's attempt")
        #expect(state.leftToReaper == [20])
        _ = state.unknown(among: [(1, 10)])
        #expect(state.leftToReaper.isEmpty, "forgotten once the database no longer assigns it")
    }

    @Test func writesThatFailedGoBackAheadOfNewerOnes() {
        var state = ConsumerState(limit: 8)
        _ = state.admit(Self.claimed(1), jobID: 1, at: .zero)
        _ = state.admit(Self.claimed(2), jobID: 2, at: .zero)
        _ = state.ended(attemptID: 10, .success([]))
        let failed = state.takeWrites()
        _ = state.ended(attemptID: 20, .success([]))
        state.putBack(failed)
        #expect(state.takeWrites().completions.map(\.task) == [1, 2])
    }
}

/// The sharing of claims among the priority lanes.
struct LaneSchedulerTests {
    @Test func singleClaimsServeEveryLaneInProportionToItsWeight() {
        var scheduler = LaneScheduler(weights: [8, 4, 2, 1])
        var served = [0, 0, 0, 0]
        for _ in 0..<15 {
            let shares = scheduler.allocate(1)
            for lane in shares.indices { served[lane] += shares[lane] }
        }
        #expect(served == [8, 4, 2, 1], "the low lane is served although a claim takes one task")
    }

    @Test func aClaimOfManyIsSharedByWeightAndAddsUpToTheRoom() {
        var scheduler = LaneScheduler(weights: [8, 4, 2, 1])
        let shares = scheduler.allocate(30)
        #expect(shares == [16, 8, 4, 2])
        #expect(scheduler.allocate(7).reduce(0, +) == 7)
    }

    @Test func onlyTheBusyLanesShareTheRoomAndEveryOtherLaneIsProbedWithOneSlot() {
        var scheduler = LaneScheduler(weights: [8, 4, 2, 1])
        #expect(scheduler.allocate(256, busy: [2]) == [1, 1, 253, 1])
        // A lane that joins starts level with the busy ones, with no credit saved up.
        let shares = scheduler.allocate(30, busy: [0, 2])
        #expect(shares[1] == 1 && shares[3] == 1)
        #expect(shares[0] == 22 && shares[2] == 6, "about 8:2 between the busy lanes: \(shares)")
        // Nothing known to be busy: every lane shares by weight.
        #expect(scheduler.allocate(15, busy: []).reduce(0, +) == 15)
    }

    @Test func aLaneWithoutWeightGetsNothingByShare() {
        var scheduler = LaneScheduler(weights: [0, 1, 0, 1])
        let shares = scheduler.allocate(4)
        #expect(shares == [0, 2, 0, 2])
    }
}

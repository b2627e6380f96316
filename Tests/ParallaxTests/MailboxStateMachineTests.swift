import Testing

@testable import Parallax

/// The worker's mailbox, without a worker: drains named by strings stand for tasks.
@Suite struct MailboxStateMachineTests {
    typealias Mailbox = MailboxStateMachine<String>

    static func run(_ id: UInt64) -> Frame { Frame(kind: .run, id: id, payload: []) }
    static func cancel(_ id: UInt64) -> Frame { Frame(kind: .cancel, id: id, payload: []) }

    /// What the drain numbered `generation` does, step by step, until it ends or hands over.
    /// `cancelled` tells whether the drain's task was cancelled.
    static func steps(_ mailbox: inout Mailbox, generation: UInt64, cancelled: Bool = false) -> [String] {
        var steps: [String] = []
        while true {
            switch mailbox.next(generation: generation, isCancelled: cancelled) {
            case .run(let frame):
                steps.append("run \(frame.id)")
            case .skip(let frame): steps.append("skip \(frame.id)")
            case .handOver: return steps + ["hand over"]
            case .done: return steps + ["done"]
            }
        }
    }

    @Test func framesRunInOrderInOneDrainAndTheNextReadStartsAnother() {
        var mailbox = Mailbox()
        let first = mailbox.received([Self.run(1), Self.run(2)])
        #expect(first.startDrain && first.cancel == nil)
        #expect(!mailbox.received([Self.run(3)]).startDrain, "a drain runs already")
        let generation = mailbox.drainStarting()
        #expect(mailbox.drainStarted("drain 1", generation: generation) == nil)
        #expect(Self.steps(&mailbox, generation: generation) == ["run 1", "run 2", "run 3", "done"])
        #expect(mailbox.received([Self.run(4)]).startDrain)
    }

    @Test func aCancelThatArrivesWithItsFrameSkipsIt() {
        var mailbox = Mailbox()
        _ = mailbox.received([Self.run(1), Self.run(2), Self.cancel(2)])
        let generation = mailbox.drainStarting()
        #expect(Self.steps(&mailbox, generation: generation) == ["run 1", "skip 2", "done"])
    }

    @Test func aCancelForTheRunningFrameCancelsTheDrainWhichHandsTheRestOver() {
        var mailbox = Mailbox()
        _ = mailbox.received([Self.run(1), Self.run(2)])
        let generation = mailbox.drainStarting()
        #expect(mailbox.drainStarted("drain 1", generation: generation) == nil)
        guard case .run(let running) = mailbox.next(generation: generation, isCancelled: false) else {
            Issue.record("expected frame 1 to run")
            return
        }
        #expect(running.id == 1)
        let arrival = mailbox.received([Self.cancel(1)])
        #expect(arrival.cancel == "drain 1")
        #expect(!arrival.startDrain)
        // The cancelled drain hands over; a new one runs frame 2 uncancelled.
        #expect(Self.steps(&mailbox, generation: generation, cancelled: true) == ["hand over"])
        let next = mailbox.drainStarting()
        #expect(mailbox.drainStarted("drain 2", generation: next) == nil)
        #expect(Self.steps(&mailbox, generation: next) == ["run 2", "done"])
    }

    @Test func aCancelBeforeTheDrainIsKnownIsAppliedWhenItIs() {
        var mailbox = Mailbox()
        _ = mailbox.received([Self.run(1), Self.run(2)])
        let generation = mailbox.drainStarting()
        // Task.immediate has not returned: the drain runs frame 1 and suspends, unknown yet.
        guard case .run = mailbox.next(generation: generation, isCancelled: false) else {
            Issue.record("expected frame 1 to run")
            return
        }
        #expect(mailbox.received([Self.cancel(1)]).cancel == nil, "no task to cancel yet")
        #expect(mailbox.drainStarted("drain 1", generation: generation) == "drain 1", "cancelled once known")
    }

    @Test func aDrainThatEndedBeforeItWasKnownIsNotKept() {
        var mailbox = Mailbox()
        _ = mailbox.received([Self.run(1)])
        let generation = mailbox.drainStarting()
        #expect(Self.steps(&mailbox, generation: generation) == ["run 1", "done"])
        #expect(mailbox.drainStarted("drain 1", generation: generation) == nil)
        // A cancel for a frame that finished finds no drain to cancel.
        _ = mailbox.received([Self.run(2)])
        #expect(mailbox.received([Self.cancel(1)]).cancel == nil)
    }

    @Test func cancelsForFramesThatNeverCameAreForgottenPastTheLimit() {
        var mailbox = Mailbox()
        let stale = (1...UInt64(Mailbox.cancelledLimit + 1)).map { Self.cancel($0 + 1_000_000) }
        _ = mailbox.received(stale + [Self.run(1)])
        let generation = mailbox.drainStarting()
        #expect(Self.steps(&mailbox, generation: generation) == ["run 1", "done"])
        // Forgotten: a frame with one of those ids now runs.
        _ = mailbox.received([Self.run(1_000_001)])
        let next = mailbox.drainStarting()
        #expect(Self.steps(&mailbox, generation: next) == ["run 1000001", "done"])
    }
}

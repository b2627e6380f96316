import Testing

@testable import Parallax

/// The reply-pipe protocol (``ReplyPipeReader``), checked over every interleaving of the parties
/// that move the pipe: a caller that may read its own answer, another submitter, and the worker's
/// I/O thread, around the pool's state lock. No interleaving may leave an answer that nobody
/// reads.
@Suite struct ReplyPipeTests {
    @Test func eachMoveStartsFromOneReaderAndDoesNothingElsewhere() {
        for move in ReplyPipeReader.Move.allCases {
            let transition = ReplyPipeReader.transition(move)
            for reader in ReplyPipeReader.allCases {
                #expect(reader.after(move) == (reader == transition.from ? transition.to : nil))
            }
        }
        #expect(ReplyPipeReader.wakesIOThread(.ensureReader))
        #expect(ReplyPipeReader.wakesIOThread(.giveBackToIOThread))
        #expect(!ReplyPipeReader.wakesIOThread(.giveBackToNobody))
    }

    /// The parties of one scenario: each submits one job to the same worker.
    enum Party: Hashable, CustomStringConvertible {
        /// Submits and, when its job starts on the idle worker, reads the answer itself.
        case inlineCaller
        /// Submits and waits for someone else to read its answer (a `WaitGroup`'s `go`).
        case submitter

        var description: String { self == .inlineCaller ? "caller" : "submitter" }
    }

    /// One interleaving in progress: the pipe's reader, what the state machine says the worker
    /// holds, the answers on the pipe, and where each party is.
    struct World: Hashable {
        var reader: ReplyPipeReader
        /// Jobs the state machine says the worker holds.
        var held = 0
        /// Answers on the pipe, oldest first, by job (the party's index).
        var answers: [Int] = []
        var answered: [Bool]
        var step: [Int]
        var startsRunning: [Bool]
        var claimed: [Bool]
        /// The I/O thread read and has not ended its read yet.
        var ioReadEndPending: Bool
        /// A hand-over to nobody decided under the lock and not made yet (the broken variant).
        var releaseDecided = false
        var trace: [String] = []
    }

    /// Explores every interleaving; returns the first that ends with an answer nobody reads.
    static func findHang(
        _ parties: [Party], reader: ReplyPipeReader, ioReadEndPending: Bool, releaseAfterTheLock: Bool = false
    ) -> [String]? {
        let start = World(
            reader: reader, answered: parties.map { _ in false }, step: parties.map { _ in 0 },
            startsRunning: parties.map { _ in false }, claimed: parties.map { _ in false },
            ioReadEndPending: ioReadEndPending)
        var seen: Set<World> = []
        return explore(start, parties, releaseAfterTheLock, &seen)
    }

    /// Depth first; a world reached before by another order of the same steps is not explored
    /// again.
    private static func explore(
        _ world: World, _ parties: [Party], _ split: Bool, _ seen: inout Set<World>
    ) -> [String]? {
        var key = world
        key.trace = []
        guard seen.insert(key).inserted else { return nil }
        let next = successors(world, parties, split)
        if next.isEmpty {
            return world.answered.allSatisfy { $0 } ? nil : world.trace + ["⇒ an answer nobody reads"]
        }
        for successor in next {
            if let hang = explore(successor, parties, split, &seen) { return hang }
        }
        return nil
    }

    /// Every world one atomic step away. A step inside the pool's lock is one step.
    private static func successors(_ world: World, _ parties: [Party], _ split: Bool) -> [World] {
        var next: [World] = []
        for (index, party) in parties.enumerated() {
            var w = world
            func note(_ what: String) { w.trace.append("\(party) \(index): \(what)") }
            switch w.step[index] {
            case 0:  // under the lock: the machine assigns the job
                w.startsRunning[index] = w.held == 0
                w.held += 1
                note("assigned (held \(w.held))")
            case 1:  // a caller whose job starts on the idle worker claims the pipe
                if party == .inlineCaller, w.startsRunning[index], let after = w.reader.after(.claim) {
                    w.reader = after
                    w.claimed[index] = true
                    note("claimed")
                } else {
                    note("did not claim")
                }
            case 2:  // queued: make sure someone reads
                if let after = w.reader.after(.ensureReader) { w.reader = after }
                note("ensureReader → \(w.reader)")
            case 3:  // written: the worker answers
                w.answers.append(index)
                note("written; answered by the worker")
            case 4 where w.claimed[index]:
                // The caller reads, in order, until its own answer came: it holds the pipe, and
                // its answer was written, so there is always one to read.
                let job = w.answers.removeFirst()
                w.answered[job] = true
                w.held -= 1
                note("read the answer of \(job)")
                if job != index { w.step[index] -= 1 }  // reads on
            case 5 where w.claimed[index]:  // under the lock: give the pipe back
                let move: ReplyPipeReader.Move = w.held > 0 ? .giveBackToIOThread : .giveBackToNobody
                w.reader = w.reader.after(move) ?? w.reader
                note("gave back → \(w.reader)")
            default:
                continue
            }
            w.step[index] += 1
            next.append(w)
        }
        // The I/O thread: read one answer while it holds the pipe, then end the read.
        if world.reader == .ioThread, !world.ioReadEndPending, let job = world.answers.first {
            var w = world
            w.answers.removeFirst()
            w.answered[job] = true
            w.held -= 1
            w.ioReadEndPending = true
            w.trace.append("io: read the answer of \(job)")
            next.append(w)
        }
        if world.ioReadEndPending, !world.releaseDecided {
            var w = world
            w.ioReadEndPending = false
            if w.held == 0 {  // under the lock: the worker holds no job
                if split {
                    w.releaseDecided = true
                } else if let after = w.reader.after(.release) {
                    w.reader = after
                }
            }
            w.trace.append("io: read ended (held \(w.held)) → \(w.reader)")
            next.append(w)
        }
        if world.releaseDecided {  // the broken variant: the release, after the lock
            var w = world
            w.releaseDecided = false
            w.reader = w.reader.after(.release) ?? w.reader
            w.trace.append("io: released after the lock → \(w.reader)")
            next.append(w)
        }
        return next
    }

    static let scenarios: [[Party]] = [
        [.inlineCaller], [.submitter], [.inlineCaller, .inlineCaller], [.inlineCaller, .submitter],
        [.submitter, .submitter], [.submitter, .inlineCaller, .inlineCaller],
    ]

    @Test(arguments: scenarios)
    func noInterleavingLeavesAnAnswerThatNobodyReads(_ parties: [Party]) {
        // The worker idle with nobody reading, or the I/O thread just past the read of the last
        // answer and about to let go.
        #expect(Self.findHang(parties, reader: .nobody, ioReadEndPending: false) == nil)
        #expect(Self.findHang(parties, reader: .ioThread, ioReadEndPending: true) == nil)
    }

    @Test func theCheckFindsTheHangOfAReleaseMadeAfterTheLock() throws {
        // Decided under the lock but made after it, the release can undo a submitter's
        // ensureReader that fell in between: the worker answers, and nobody reads.
        let hang = try #require(
            Self.findHang(
                [.submitter], reader: .ioThread, ioReadEndPending: true, releaseAfterTheLock: true))
        #expect(hang.last == "⇒ an answer nobody reads")
    }
}

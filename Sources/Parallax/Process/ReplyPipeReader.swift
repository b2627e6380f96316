/// Who reads a worker's reply pipe, and the moves that pass it from one reader to the next: the
/// protocol of ``ReplyChannel``, as a pure value.
///
/// - ``ioThread``: the worker's I/O thread reads (the start, and whenever the worker holds jobs
///   that no caller waits on inline).
/// - ``nobody``: the worker holds no job; nothing arrives that someone waits for.
/// - ``caller``: a caller whose job went to the idle worker reads its own answer
///   (``InlineReplyReader``).
///
/// Each move takes the pipe from exactly one reader to another (``transition(_:)``); a move from
/// anywhere else does nothing. Two moves hand the pipe to nobody, and both are made inside the
/// pool's state lock, at a moment when the pool's state machine says the worker holds no job:
/// ``Move/release`` (the I/O thread, at the end of a read) and ``Move/giveBackToNobody`` (the
/// caller, when it is done). Every job the machine assigns is followed by ``Move/ensureReader``
/// from the thread that queued it, after the lock. So a job never waits with nobody reading:
/// either the hand-over to nobody saw it and did not happen, or the job came after it and its
/// ``Move/ensureReader`` finds nobody and hands the pipe to the I/O thread. `ReplyPipeTests`
/// checks this over every interleaving of a caller, another submitter and the I/O thread.
package enum ReplyPipeReader: UInt8, Sendable, CaseIterable {
    case ioThread
    case nobody
    case caller

    /// A hand-over of the pipe.
    package enum Move: Sendable, CaseIterable {
        /// A job was queued for the worker: if nobody reads, the I/O thread does, woken.
        case ensureReader
        /// A caller whose job starts on the idle worker takes the pipe.
        case claim
        /// The I/O thread lets go at the end of a read: the worker holds no job (decided under
        /// the pool's lock, with no frame half read).
        case release
        /// The caller is done and the worker holds other jobs (or a frame is half read, or the
        /// pipe ended): the I/O thread reads again, woken.
        case giveBackToIOThread
        /// The caller is done and the worker holds no job (decided under the pool's lock).
        case giveBackToNobody
    }

    /// The one reader a move takes the pipe from, and the reader it hands it to.
    package static func transition(_ move: Move) -> (from: ReplyPipeReader, to: ReplyPipeReader) {
        switch move {
        case .ensureReader: (.nobody, .ioThread)
        case .claim: (.nobody, .caller)
        case .release: (.ioThread, .nobody)
        case .giveBackToIOThread: (.caller, .ioThread)
        case .giveBackToNobody: (.caller, .nobody)
        }
    }

    /// The reader after `move`, or nil when the move does not start from this reader.
    package func after(_ move: Move) -> ReplyPipeReader? {
        let transition = Self.transition(move)
        return self == transition.from ? transition.to : nil
    }

    /// Whether the move hands the pipe to the I/O thread, which must then be woken.
    package static func wakesIOThread(_ move: Move) -> Bool {
        transition(move).to == .ioThread
    }
}

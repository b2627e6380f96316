import Synchronization

/// A caller reading its own answer from the reply pipe of the worker that runs its task.
///
/// When a job goes to a worker that held no other job, nobody reads that worker's reply pipe
/// (see ``ReplyChannel``), and the submitting caller may claim it: it then reads the pipe on its
/// own thread, polling for ``WorkerPool/Configuration/inlineReplyPolling`` and blocking for the
/// rest of ``WorkerPool/Configuration/inlineReplyWait``, and the answer reaches it without waking
/// another thread. Whatever else it reads meanwhile is handled as the I/O thread would handle it.
/// Then it gives the pipe back, to nobody when the worker holds no job, otherwise to the I/O
/// thread; a caller whose answer did not come in time waits for it as any other caller.
///
/// Two ``InlineWaitPolicy``s learn from the last calls whether the wait, and its polling, pay off.
final class InlineReplyReader: Sendable {
    private let wait: Duration
    private let polling: Duration
    /// Whether a caller waits on its own thread, and whether that wait starts by polling; one
    /// lock for both.
    private let policies = Locked((wait: InlineWaitPolicy(), poll: InlineWaitPolicy()))
    private let answered = Atomic<Int>(0)
    private let missed = Atomic<Int>(0)
    private let polled = Atomic<Int>(0)

    init(configuration: WorkerPool.Configuration) {
        self.wait = configuration.inlineReplyWait
        self.polling = configuration.inlineReplyPolling
    }

    /// Whether the next caller tries to read its answer itself.
    func shouldWait() -> Bool {
        wait > .zero && policies.withLock { $0.wait.shouldWait() }
    }

    /// Reads the reply pipe of `process`, claimed when the job was sent, on this thread until the
    /// answer arrives or the wait passed, then calls `giveBack`. Returns the answer if it arrived.
    func read<Value>(from process: WorkerProcess, into answer: OneShot<Value>, giveBack: () -> Void) -> Value?
    {
        let polling =
            self.polling > .zero && policies.withLock { $0.poll.shouldWait() } ? self.polling : .zero
        let whilePolling = process.replies.read(
            until: { answer.isDelivered }, timeout: wait, polling: polling)
        giveBack()
        let value = answer.take()
        policies.withLock { policies in
            policies.wait.record(answeredInTime: value != nil)
            if polling > .zero { policies.poll.record(answeredInTime: whilePolling) }
        }
        if value != nil {
            answered.add(1, ordering: .relaxed)
            if whilePolling { polled.add(1, ordering: .relaxed) }
        } else {
            missed.add(1, ordering: .relaxed)
        }
        return value
    }

    /// How many callers waited for their answer on their own thread: answered there, or gave up
    /// the wait.
    var waits: (answered: Int, missed: Int) {
        (answered.load(ordering: .relaxed), missed.load(ordering: .relaxed))
    }

    /// How many of the answers read on the caller's thread arrived while it polled.
    var answersWhilePolling: Int {
        polled.load(ordering: .relaxed)
    }
}

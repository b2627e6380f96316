/// One run of `map`'s chunks through the pool: at most `inFlight` chunks in the pool at once, the
/// next one sent from the completion of the last, each chunk's answer handed to `deliver` exactly
/// once, on whichever thread completed it; `deliver` returns whether the run goes on (`false`
/// cancels the chunks not done, as cancelling the caller does).
///
/// No task per chunk: a chunk's answer arrives on the thread that read it (a worker's I/O thread,
/// usually), which decodes it through `deliver` and sends the next chunk, as a ``WaitGroup`` does;
/// the caller is resumed once, at the end. (A child task per chunk cost a task, a continuation and
/// two executor hops per chunk: with short items, the parent's CPU per item was four times the
/// wait group's, taken from the cores the workers need.)
///
/// Sending never recurses: a chunk that completes while another thread is sending (refused at
/// once, say, by a pool that is shutting down) only leaves room, which that thread then fills.
final class ChunkRun: Sendable {
    private struct State {
        /// The next chunk to send.
        var next = 0
        /// Chunks that may still be sent now.
        var room: Int
        /// The job ids of the chunks sent and not yet answered, by chunk index.
        var running: [Int: UInt64] = [:]
        /// Chunks whose answer was delivered.
        var delivered = 0
        /// A thread is sending chunks; others leave room for it.
        var sending = false
        var cancelled = false
    }

    private let pool: WorkerPool
    private let chunks: [WorkerPool.Chunk]
    private let name: String
    private let timeout: Duration?
    private let deliver: @Sendable (Int, Result<[UInt8], TaskError>) -> Bool
    private let state: Locked<State>
    private let done = OneShot<Void>()

    init(
        pool: WorkerPool, chunks: [WorkerPool.Chunk], name: String, inFlight: Int, timeout: Duration?,
        deliver: @escaping @Sendable (Int, Result<[UInt8], TaskError>) -> Bool
    ) {
        self.pool = pool
        self.chunks = chunks
        self.name = name
        self.timeout = timeout
        self.deliver = deliver
        self.state = Locked(State(room: max(1, inFlight)))
    }

    /// Sends the chunks and returns once every one was delivered. Cancelling the caller cancels
    /// the chunks in the pool and delivers those not sent as cancelled.
    func run() async {
        guard !chunks.isEmpty else { return }
        await withTaskCancellationHandler {
            state.withLock { $0.sending = true }
            send()
            await done.wait()
        } onCancel: {
            cancel()
        }
    }

    /// Sends chunks while there is room, as the one sending thread (`sending` is set).
    private func send() {
        while true {
            let next = state.withLock { state -> (index: Int, id: UInt64)? in
                guard !state.cancelled, state.room > 0, state.next < chunks.count else {
                    state.sending = false
                    return nil
                }
                state.room -= 1
                defer { state.next += 1 }
                let id = pool.makeJobID()
                state.running[state.next] = id
                return (state.next, id)
            }
            guard let (index, id) = next else { return }
            let chunk = chunks[index]
            let trace = TaskTrace.start("map", task: name, pool: pool.configuration.name, inputs: chunk.count)
            let task = WorkerPool.EncodedTask(name: name, payload: chunk.payload, trace: trace)
            pool.storage.enqueueRun(id: id, kind: .runBatch, task: task, timeout: timeout) { [self] answer in
                trace?.finish(answer, attempts: 1)
                completed(index, answer)
            }
            // A cancellation that came before the job was known to the pool missed it.
            if state.withLock({ $0.cancelled && $0.running[index] != nil }) { pool.cancel(jobID: id) }
        }
    }

    /// Delivers a chunk's answer, then sends the next chunk unless another thread is sending; an
    /// answer `deliver` refuses to go on after cancels the rest.
    private func completed(_ index: Int, _ answer: Result<[UInt8], TaskError>) {
        if !deliver(index, answer), !state.withLock({ $0.cancelled }) { cancel() }
        let (sendNow, finished) = state.withLock { state -> (Bool, Bool) in
            state.running[index] = nil
            state.delivered += 1
            state.room += 1
            guard !state.sending, !state.cancelled, state.next < chunks.count else {
                return (false, state.delivered == chunks.count)
            }
            state.sending = true
            return (true, false)
        }
        if sendNow { send() }
        if finished { done.deliver(()) }
    }

    /// Cancels the chunks in the pool (each is answered as cancelled, or with what it reached) and
    /// delivers those never sent as cancelled.
    private func cancel() {
        let (running, unsent) = state.withLock { state -> ([UInt64], Range<Int>) in
            state.cancelled = true
            defer { state.next = chunks.count }
            return (Array(state.running.values), state.next..<chunks.count)
        }
        for id in running { pool.cancel(jobID: id) }
        for index in unsent { completed(index, .failure(TaskError.cancelled(task: name))) }
    }
}

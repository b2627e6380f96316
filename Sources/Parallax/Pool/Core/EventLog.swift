/// The pool's events, for any number of readers: each reader gets its own stream, which starts
/// with the newest events so far (up to ``capacity``) and goes on with every new one until the log
/// finishes.
final class EventLog: Sendable {
    /// How many past events a new reader gets, and how many a slow reader may fall behind.
    static let capacity = 1_000

    private struct State {
        var history: [WorkerPool.Event] = []
        var readers: [Int: AsyncStream<WorkerPool.Event>.Continuation] = [:]
        var nextReader = 0
        var isFinished = false
    }

    private let state = Locked(State())

    /// A new stream of every event, past ones first.
    func stream() -> AsyncStream<WorkerPool.Event> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: WorkerPool.Event.self, bufferingPolicy: .bufferingNewest(Self.capacity))
        let finished = state.withLock { state -> Bool in
            // Under the lock, so that no event is emitted between the past ones and the new.
            for event in state.history { continuation.yield(event) }
            guard !state.isFinished else { return true }
            let reader = state.nextReader
            state.nextReader += 1
            state.readers[reader] = continuation
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.readers.removeValue(forKey: reader) }
            }
            return false
        }
        if finished { continuation.finish() }
        return stream
    }

    /// Records an event and hands it to every reader.
    func emit(_ event: WorkerPool.Event) {
        state.withLock { state in
            guard !state.isFinished else { return }
            state.history.append(event)
            if state.history.count > Self.capacity { state.history.removeFirst() }
            for reader in state.readers.values { reader.yield(event) }
        }
    }

    /// Ends every stream, present and future, after the events recorded so far.
    func finish() {
        let readers = state.withLock { state in
            state.isFinished = true
            defer { state.readers = [:] }
            return Array(state.readers.values)
        }
        // Outside the lock: finishing runs the streams' termination handlers, which take it.
        for reader in readers { reader.finish() }
    }
}

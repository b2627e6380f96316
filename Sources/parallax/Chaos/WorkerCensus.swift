import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// The pool's live workers, followed through its events, and the chaos that kills them.
final class WorkerCensus: Sendable {
    private struct State {
        var live: Set<Int32> = []
        var started: Set<Int32> = []
        var waiters: [(count: Int, signal: AsyncStream<Void>.Continuation)] = []
    }

    private let state = Locked(State())

    var liveCount: Int { state.withLock { $0.live.count } }
    var startedCount: Int { state.withLock { $0.started.count } }
    var startedPIDs: Set<Int32> { state.withLock { $0.started } }

    /// Reads the pool's events until the pool stops.
    func follow(_ events: AsyncStream<WorkerPool.Event>) async {
        for await event in events {
            guard let pid = event.pid else { continue }
            let ready = state.withLock { state -> [AsyncStream<Void>.Continuation] in
                switch event.kind {
                case .workerStarted:
                    state.live.insert(pid)
                    state.started.insert(pid)
                case .workerCrashed, .workerExited, .workerRecycled:
                    state.live.remove(pid)
                default:
                    break
                }
                let count = state.live.count
                let ready = state.waiters.filter { $0.count <= count }.map(\.signal)
                state.waiters.removeAll { $0.count <= count }
                return ready
            }
            for signal in ready { signal.finish() }
        }
    }

    /// Waits until `count` workers are live; returns how many are.
    /// - Throws: `CancellationError` when `limit` passes first.
    @discardableResult
    func waitForLiveWorkers(_ count: Int, within limit: Duration) async throws -> Int {
        let (signal, continuation) = AsyncStream.makeStream(of: Void.self)
        let reached = state.withLock { state -> Bool in
            if state.live.count >= count { return true }
            state.waiters.append((count, continuation))
            return false
        }
        if reached { return liveCount }
        let arrived = await finishes(within: limit) { for await _ in signal {} }
        continuation.finish()
        guard arrived else { throw CancellationError() }
        return liveCount
    }

    /// Sends SIGKILL to a random live worker `perSecond` times a second until cancelled; returns
    /// how many were sent.
    func killRandomWorkers(perSecond: Double, seed: UInt64) async -> Int {
        guard perSecond > 0 else { return 0 }
        var random = SplitMix64(seed: seed ^ 0x6B69_6C6C)
        var kills = 0
        let interval = Duration.nanoseconds(Int64(1e9 / perSecond))
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)  // the kill rate: a pace, not an event to wait for
            guard !Task.isCancelled else { break }
            let victims = state.withLock { $0.live.sorted() }
            guard let victim = victims.randomElement(using: &random) else { continue }
            // Only a child of this process: a pid reaped since its event could be reused.
            guard ProcessStatus.status(of: victim)?.parent == getpid() else { continue }
            if kill(victim, SIGKILL) == 0 { kills += 1 }
        }
        return kills
    }
}

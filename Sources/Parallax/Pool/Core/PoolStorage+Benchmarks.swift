#if canImport(Glibc)
    import Glibc
#endif

/// Benchmark support, outside the path of a task: the raw floor of a worker's channel for
/// `parallax bench`.
extension PoolStorage {
    /// Round trips of ping frames of `payloadSize` bytes through the idle worker of `slot`, each
    /// timed (with 1 MiB, the floor of the payload figure): the raw floor of
    /// the channel, with the processes and threads of a task's round trip. This thread writes the
    /// ping and blocks reading the pong, which the worker's reader thread answers without a task.
    /// Nothing else may use the pool meanwhile. Nil when the worker is busy or gone, or when its
    /// I/O thread does not let go of the pipe (a worker without a pidfd).
    func pingRoundTrips(_ count: Int, slot: Int, payloadSize: Int = 8) -> [Duration]? {
        guard let (process, generation) = claimIdleProcess(slot: slot) else { return nil }
        let clock = ContinuousClock()
        let payload = [UInt8](repeating: 7, count: payloadSize)
        var samples: [Duration] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let id = makeJobID()
            let start = clock.now
            guard process.writeNow(kind: .ping, id: id, payload: payload),
                process.replies.readPong(id: id, count: Frame.headerSize + payload.count)
            else { break }
            samples.append(clock.now - start)
        }
        giveBackReplies(of: process, generation: generation)
        return samples.count == count ? samples : nil
    }

    /// Pings written `ahead` at a time through the idle worker of `slot`, as tasks in flight are
    /// sent ahead: `count` in all, topped up as pongs arrive, each top-up joined in one write as
    /// the outbox joins frames. The raw floor of tasks in flight through that worker. Returns the
    /// time from the first write to the last pong; nil as for ``pingRoundTrips(_:slot:payloadSize:)``.
    func pipelinedPings(_ count: Int, ahead: Int, slot: Int) -> Duration? {
        guard let (process, generation) = claimIdleProcess(slot: slot) else { return nil }
        let payload = [UInt8](repeating: 7, count: 8)
        let frameSize = Frame.headerSize + payload.count
        func pings(_ count: Int) -> [Frame] {
            (0..<count).map { _ in Frame(kind: .ping, id: makeJobID(), payload: payload) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        var sent = min(ahead, count)
        var receivedBytes = 0
        var received = 0
        if process.writeNow(pings(sent)) {
            while received < count {
                let bytes = process.replies.readAvailable()
                guard bytes > 0 else { break }
                receivedBytes += bytes
                let answered = receivedBytes / frameSize
                let more = min(answered - received, count - sent)
                received = answered
                if more > 0 {
                    guard process.writeNow(pings(more)) else { break }
                    sent += more
                }
            }
        }
        let elapsed = clock.now - start
        giveBackReplies(of: process, generation: generation)
        return received == count && receivedBytes == count * frameSize ? elapsed : nil
    }

    /// Claims the reply pipe of the idle worker of `slot` for this thread; nil when the worker is
    /// busy or gone, or its I/O thread does not let go of the pipe.
    private func claimIdleProcess(slot: Int) -> (WorkerProcess, UInt64)? {
        enum Claim {
            case claimed(WorkerProcess, UInt64)
            case busy
            /// Idle, but the I/O thread still holds the pipe: it lets go at the end of the read
            /// that answered the worker's last task, which may be just after that answer arrived.
            case stillHeld
        }
        var attempts = 0
        var claim = Claim.stillHeld
        while case .stillHeld = claim, attempts < 10_000 {
            attempts += 1
            if let (process, generation) = withMachine({ $0.idleProcess(slot: slot) }) {
                claim = process.replies.claim() ? .claimed(process, generation) : .stillHeld
            } else {
                claim = .busy
            }
            if case .stillHeld = claim { sched_yield() }
        }
        guard case .claimed(let process, let generation) = claim else { return nil }
        return (process, generation)
    }
}

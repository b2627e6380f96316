/// What tests and `parallax bench` may ask a running pool, beyond its public API.
extension WorkerPool {
    /// What every slot is doing now; see ``workers``.
    var slotStatuses: [PoolStateMachine<WorkerProcess>.SlotStatus] {
        storage.withMachine { $0.slotStatuses }
    }

    /// How many calls from worker code to the parent's services are running now.
    package var runningServiceCalls: Int { storage.services.runningCount }

    /// How many workers have completed their handshake since the pool started, replacements
    /// included.
    package var startedWorkerCount: Int { storage.withMachine { $0.startedCount } }

    /// Waits until ``startedWorkerCount`` reaches `count`.
    package func waitForStartedWorkers(_ count: Int) async {
        _ = await storage.wait(for: .startedWorkers(count))
    }

    /// How many callers waited for their answer on their own thread
    /// (``Configuration/inlineReplyWait``): answered there, or gave up the wait.
    package var inlineWaits: (answered: Int, missed: Int) { storage.inline.waits }

    /// How many of the answers read on the caller's thread arrived while it polled
    /// (``Configuration/inlineReplyPolling``), before it slept.
    package var inlineAnswersWhilePolling: Int { storage.inline.answersWhilePolling }

    /// Benchmark support: timed raw round trips of ping frames of `payloadSize` bytes through the
    /// idle worker of `slot` (see ``PoolStorage/pingRoundTrips(_:slot:payloadSize:)``). Nothing
    /// else may use the pool meanwhile.
    package func pingRoundTrips(_ count: Int, slot: Int = 0, payloadSize: Int = 8) -> [Duration]? {
        storage.pingRoundTrips(count, slot: slot, payloadSize: payloadSize)
    }

    /// Benchmark support: `count` pings through the idle worker of `slot`, `ahead` of them in
    /// flight (see ``PoolStorage/pipelinedPings(_:ahead:slot:)``); the time they took. Nothing
    /// else may use that worker meanwhile.
    package func pipelinedPings(_ count: Int, ahead: Int, slot: Int) -> Duration? {
        storage.pipelinedPings(count, ahead: ahead, slot: slot)
    }
}

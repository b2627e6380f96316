import CoreMetrics
import Logging
import Synchronization

/// Keeps one slot of the pool filled with a worker from ``PoolStorage/run()`` until shutdown:
/// starts a ``WorkerLife`` per worker process, restarts a worker that ended (after a backoff when
/// it keeps failing), applies the supervision strategy, and gives the pool up when restarts exceed
/// the restart intensity. The slot has stopped only once every process it started is reaped.
final class WorkerSlot: Sendable {
    private let storage: PoolStorage
    private let slot: Int
    private let logger: Logger

    init(storage: PoolStorage, slot: Int) {
        self.storage = storage
        self.slot = slot
        var logger = storage.logger
        logger[metadataKey: "parallax.worker.slot"] = "\(slot)"
        self.logger = logger
    }

    /// Runs the slot's workers one after the other until the pool stops.
    func supervise() async {
        let configuration = storage.configuration
        var failuresInARow = 0
        // The slot's processes not reaped yet: the slot has stopped only once they all are.
        var unreaped: [WorkerProcess] = []
        while let generation = storage.withMachine({ $0.workerSpawning(slot: slot) }) {
            let life = WorkerLife(storage: storage, slot: slot, generation: generation, logger: logger)
            let (outcome, process) = await life.run {
                // The replacement is ready: the ended ones may be cleaned up now.
                for ended in unreaped { ended.allowReaping() }
            }
            unreaped.removeAll { $0.reaped.isSet }
            if let process { unreaped.append(process) }
            // A worker stopped by shutdown, or still starting when shutdown closed it, is no failure;
            // while a shutdown drains queued tasks, a worker that ends is replaced as before.
            if !storage.withMachine({ $0.needsWorkers }) { break }
            switch outcome {
            case .startFailed(let failure):
                failuresInARow += 1
                startFailed(failure, generation: generation, failuresInARow: failuresInARow)
            case .exited(let answered):
                // A worker that did useful work before it died is replaced at once; one that died
                // before answering anything may be failing for good, and backs off.
                failuresInARow = answered > 0 ? 0 : failuresInARow + 1
            case .recycled:
                failuresInARow = 0
                continue  // a planned replacement: no restart to count, no backoff
            }
            applyStrategy(generation: generation)
            if configuration.supervision != .restartOnCrash { break }
            storage.metrics.restarts.increment()
            let withinIntensity = storage.restarts.withLock { $0.record(at: storage.timers.clock.now) }
            guard withinIntensity else {
                let intensity = configuration.restartIntensity
                storage.giveUp(
                    "workers were restarted more than \(intensity.maximumRestarts) times in \(intensity.period)",
                    code: .restartIntensityExceeded)
                break
            }
            let delay = configuration.restartBackoff.delay(
                attempt: failuresInARow, random: .random(in: 0..<1))
            // Every restart is announced, one at once with a delay of zero: a reader counting
            // restarts must not depend on which worker failed.
            storage.emit(
                WorkerPool.Event(
                    .workerRestarting, slot: slot, delay: delay,
                    message: delay > .zero ? "restarting in \(delay)" : "restarting at once"))
            if delay > .zero, await storage.wait(for: .spawningStopped, timeout: delay) { break }
        }
        storage.withMachine { _ = $0.workerSpawning(slot: slot) }  // marks the slot stopped
        for process in unreaped {
            process.allowReaping()
            _ = await process.reaped.wait()
        }
        storage.withMachine { $0.slotStopped() }
    }

    /// Handles a worker that never became ready: the jobs that no worker can take fail, and a
    /// worker that serves another registry gives the pool up (the next spawn then finds it stopping).
    private func startFailed(_ failure: TaskError, generation: UInt64, failuresInARow: Int) {
        let rejected = storage.withMachine {
            $0.workerFailedToStart(slot: slot, generation: generation, error: failure)
        }
        for job in rejected {
            job.complete(.failure(TaskError.noWorkerAvailable(task: job.name, failure)))
        }
        logger.error(
            "worker failed to start",
            metadata: [
                "parallax.error": "\(failure.message)",
                "parallax.worker.failures": "\(failuresInARow)",
            ])
        storage.emit(
            WorkerPool.Event(.workerStartFailed, slot: slot, pid: failure.workerPID, message: failure.message)
        )
        if failure.reason == .registryMismatch {
            storage.giveUp(failure.message, code: .registryMismatch)
        }
    }

    /// Applies the supervision strategy to a worker that failed.
    private func applyStrategy(generation: UInt64) {
        switch storage.configuration.supervision.storage {
        case .restart:
            break
        case .stopAll:
            storage.giveUp("a worker failed and the supervision strategy is stopAll", code: .workerFailed)
        case .ignore:
            let ignored = TaskError.workerNotRestarted
            let rejected = storage.withMachine {
                $0.workerFailedToStart(slot: slot, generation: generation, error: ignored)
            }
            for job in rejected {
                job.complete(.failure(TaskError.noWorkerAvailable(task: job.name, ignored)))
            }
            if !rejected.isEmpty || storage.withMachine({ $0.unavailable != nil }) {
                storage.giveUp(
                    "every worker failed and the supervision strategy is ignore", code: .workerFailed)
            }
        }
    }
}

import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The graceful shutdown: stop intake, let running tasks finish within the graceful timeout, close
/// the channels, then SIGTERM and SIGKILL what is left.
extension PoolStorage {
    /// Starts a graceful shutdown; see ``WorkerPool/shutdown()``.
    func shutdown() {
        services.refuseNewCalls()
        guard !shutdownBegun.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopIntake()
        shutdownRequested.set()
    }

    /// Stops taking tasks and rejects the queued ones, or lets them drain.
    private func stopIntake() {
        let (rejected, drains) = state.withLock { machine in
            (machine.beginShutdown(drain: configuration.queuedTasksOnShutdown.drains), machine.needsWorkers)
        }
        if !drains { spawningStopped.set() }
        logger.debug("pool shutting down", metadata: ["parallax.pool.rejected": "\(rejected.count)"])
        emit(
            WorkerPool.Event(
                .draining,
                message: drains
                    ? "the pool takes no more tasks and runs the queued ones"
                    : "the pool takes no more tasks; \(rejected.count) queued tasks were rejected"))
        for job in rejected {
            job.complete(.failure(TaskError.shuttingDown(task: job.name)))
        }
        wakeRoomWaiters()  // they find the pool closed
    }

    /// Waits for ``shutdown()``, then ends the workers within the configured timeouts.
    func coordinateShutdown() async {
        _ = await shutdownRequested.wait()  // set by `shutdown()`, which stopped the intake
        checkDrained()
        if await !drained.wait(timeout: configuration.gracefulShutdownTimeout, on: timers) {
            let (queued, abandoned) = state.withLock { ($0.stopDraining(), $0.abandonRunningJobs()) }
            for job in queued {
                job.complete(.failure(TaskError.shuttingDown(task: job.name)))
            }
            for job in abandoned {
                job.complete(.failure(TaskError.abandonedAtShutdown(task: job.name)))
            }
        }
        // Closing a channel ends its worker; one that lingers gets SIGTERM, then SIGKILL.
        let open = state.withLock { $0.closeChannels() }
        spawningStopped.set()
        for process in open { process.closeRequests() }
        if await allSlotsStopped.wait(timeout: configuration.forceShutdownTimeout, on: timers) { return }
        for process in state.withLock({ $0.handles }) { process.signal(SIGTERM) }
        if await allSlotsStopped.wait(timeout: configuration.stopGracePeriod, on: timers) { return }
        for process in state.withLock({ $0.handles }) { process.signal(SIGKILL) }
    }
}

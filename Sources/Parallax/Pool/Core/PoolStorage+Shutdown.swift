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
        let drain = configuration.queuedTasksOnShutdown.drains
        guard let rejected = withMachine({ $0.requestShutdown(drain: drain) }) else { return }
        logger.debug("pool shutting down", metadata: ["parallax.pool.rejected": "\(rejected.count)"])
        emit(
            WorkerPool.Event(
                .draining,
                message: rejected.isEmpty && drain
                    ? "the pool takes no more tasks and runs the queued ones"
                    : "the pool takes no more tasks; \(rejected.count) queued tasks were rejected"))
        for job in rejected {
            job.complete(.failure(TaskError.shuttingDown(task: job.name)))
        }
    }

    /// Waits for ``shutdown()``, then ends the workers within the configured timeouts.
    func coordinateShutdown() async {
        _ = await wait(for: .shutdownRequested)
        if await !wait(for: .drained, timeout: configuration.gracefulShutdownTimeout) {
            let (queued, abandoned) = withMachine { ($0.stopDraining(), $0.abandonRunningJobs()) }
            for job in queued {
                job.complete(.failure(TaskError.shuttingDown(task: job.name)))
            }
            for job in abandoned {
                job.complete(.failure(TaskError.abandonedAtShutdown(task: job.name)))
            }
        }
        // Closing a channel ends its worker; one that lingers gets SIGTERM, then SIGKILL.
        for process in withMachine({ $0.closeChannels() }) { process.closeRequests() }
        if await wait(for: .allSlotsStopped, timeout: configuration.forceShutdownTimeout) { return }
        for process in withMachine({ $0.handles }) { process.signal(SIGTERM) }
        if await wait(for: .allSlotsStopped, timeout: configuration.stopGracePeriod) { return }
        for process in withMachine({ $0.handles }) { process.signal(SIGKILL) }
    }
}

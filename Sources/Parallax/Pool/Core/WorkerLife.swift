import Instrumentation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One worker process in one slot, from spawn to exit: it spawns the process, waits for its
/// handshake and checks its registry, handles every frame the worker sends (answers, service
/// calls, protocol violations), and on exit fails or requeues what the worker held.
///
/// It is the process's ``WorkerProcessDelegate``. Frames arrive on whichever thread reads the reply
/// pipe: the worker's I/O thread, or a caller that claimed the pipe (see ``InlineReplyReader``).
/// Only one of them reads at a time, and the pipe passes between them with acquire-release
/// ordering, so ``pendingSends`` needs no lock of its own.
final class WorkerLife: WorkerProcessDelegate, @unchecked Sendable {
    /// How the worker's start ended.
    private enum StartOutcome: Sendable {
        case ready(Handshake)
        case failed(TaskError)
    }

    /// How one worker process ended, for its ``WorkerSlot``.
    enum Outcome {
        /// It never completed its handshake.
        case startFailed(TaskError)
        /// It ran and then ended, after answering this many tasks.
        case exited(answered: Int)
        /// The pool replaced it (recycling).
        case recycled
    }

    private let storage: PoolStorage
    private let slot: Int
    private let generation: UInt64
    private let logger: Logger
    private let startup = OneShot<StartOutcome>()
    private let exit = OneShot<ExitReport>()
    /// The sends that the answers of the current read made room for, written together when the
    /// read ends. Owned by the pipe's reader.
    private var pendingSends: [PoolStateMachine<WorkerProcess>.Send] = []

    init(storage: PoolStorage, slot: Int, generation: UInt64, logger: Logger) {
        self.storage = storage
        self.slot = slot
        self.generation = generation
        self.logger = logger
    }

    /// Runs the worker process from spawn to exit; `ready` is called once its handshake passed.
    /// The process, when one started, comes back too: it is reaped a moment after its exit is
    /// reported (see ``WorkerProcess/reaped``).
    func run(ready: () -> Void) async -> (Outcome, WorkerProcess?) {
        let configuration = storage.configuration
        let process: WorkerProcess
        do {
            process = try WorkerProcess(
                launch: storage.launch,
                slot: slot, heldJobs: configuration.pipelineDepth,
                maximumPayloadSize: configuration.payloadLimit + TracedPayload.maximumContextSize,
                logger: logger,
                delegate: self)
        } catch {
            return (.startFailed(TaskError.spawnFailed(error)), nil)
        }
        // A shutdown that closed the other channels before this worker was known closes this one.
        if storage.withMachine({ $0.workerSpawned(slot: slot, generation: generation, handle: process) }) {
            process.closeRequests()
        }
        if let failure = await handshake(of: process) {
            process.signal(SIGKILL)
            _ = await exit.wait()
            return (.startFailed(failure), process)
        }
        ready()
        return (ended(await exit.wait()), process)
    }

    /// Waits for the worker's handshake and sends it its first jobs; returns why it failed.
    private func handshake(of process: WorkerProcess) async -> TaskError? {
        switch await startup.wait() {
        case .ready(let handshake):
            guard handshake.registryFingerprint == storage.tasks.fingerprint else {
                return TaskError.registryMismatch(workerPID: process.pid)
            }
            logger.debug("worker ready", metadata: ["parallax.worker.pid": "\(process.pid)"])
            // Counted as started in the same transition that lets it take jobs.
            storage.deliver(storage.withMachine { $0.workerStarted(slot: slot, generation: generation) })
            storage.emit(
                WorkerPool.Event(
                    .workerStarted, slot: slot, pid: process.pid,
                    message: "worker pid \(process.pid) is ready"))
            return nil
        case .failed(let error):
            return error
        }
    }

    /// Settles what the ended worker held: the running job fails with the crash, jobs sent ahead
    /// go elsewhere, and the end is logged and sent as an event.
    private func ended(_ report: ExitReport) -> Outcome {
        var report = report
        let exited = storage.withMachine {
            $0.workerExited(slot: slot, generation: generation, neverRead: report.neverRead)
        }
        storage.deliver(exited.sends)
        for job in exited.rejected {
            job.complete(.failure(TaskError.shuttingDown(task: job.name)))
        }
        if let violation = exited.violation, report.protocolError == nil {
            report.protocolError = ProtocolError(.unexpectedFrame(violation))
        }
        if let job = exited.job {
            let error = TaskError.crashed(
                task: job.name, report: report, limits: storage.configuration.resourceLimits)
            logger.info(
                "worker crashed while running a task",
                metadata: [
                    "parallax.worker.pid": "\(report.pid)", "parallax.task": "\(job.name)",
                    "parallax.termination": "\(report.termination)",
                ])
            job.complete(.failure(error))
            storage.emit(
                WorkerPool.Event(
                    .workerCrashed, slot: slot, pid: report.pid, termination: report.termination,
                    message: error.message))
        } else if exited.retired {
            logger.debug("worker recycled", metadata: ["parallax.worker.pid": "\(report.pid)"])
            storage.emit(
                WorkerPool.Event(
                    .workerRecycled, slot: slot, pid: report.pid, termination: report.termination,
                    message: "worker pid \(report.pid) was replaced after answering \(exited.answered) tasks")
            )
        } else if !storage.withMachine({ $0.shutdownRequested }) {
            logger.info(
                "worker exited while idle, replacing it",
                metadata: [
                    "parallax.worker.pid": "\(report.pid)", "parallax.termination": "\(report.termination)",
                ])
            storage.emit(
                WorkerPool.Event(
                    .workerExited, slot: slot, pid: report.pid, termination: report.termination,
                    message: "worker pid \(report.pid) exited while idle with \(report.termination)"))
        }
        return exited.retired ? .recycled : .exited(answered: exited.answered)
    }

    // MARK: WorkerProcessDelegate

    func received(_ frame: Frame) {
        switch frame.kind {
        case .hello:
            do {
                startup.deliver(.ready(try Handshake(frame: frame)))
            } catch {
                startup.deliver(.failed(TaskError.protocolViolation("\(error)")))
            }
        case .bootstrapFailed:
            let error =
                (try? WireCodec.decode(TaskError.self, from: frame.payload)) ?? TaskError.bootstrapFailed
            var failure = error
            failure.message = "worker bootstrap failed: \(error.type): \(error.message)"
            startup.deliver(.failed(failure))
        case .result, .batchResult, .failure:
            answered(frame)
        case .serviceCall, .serviceCallTraced:
            serviceCall(frame)
        case .serviceCancel:
            storage.services.cancel(id: frame.id, slot: slot, generation: generation)
        case .pong:
            break  // read by the benchmark's ping on its own thread; a stray one is harmless
        case .run, .runBatch, .runTraced, .runBatchTraced, .cancel, .serviceReply, .ping, .goodbye:
            // Only the parent sends these: the worker is broken. Its running task fails with a
            // protocol violation when it exits.
            let process = storage.withMachine {
                $0.markViolation(
                    slot: slot, generation: generation,
                    "the worker sent a \(frame.kind) frame, which only the parent sends")
            }
            logger.error("worker sent a \(frame.kind) frame, which only the parent sends; stopping it")
            process?.signal(SIGKILL)
        }
    }

    func readEnded() {
        // The tasks that the answers of one read made room for go out in one write.
        let sends = pendingSends
        pendingSends.removeAll(keepingCapacity: true)
        storage.deliver(sends)
        // A worker that holds no job is read by nobody until it gets one, so that the caller of
        // that job may read the answer itself. The release (an atomic exchange) happens inside the
        // state lock, where the worker is known to hold no job: a job assigned after it finds
        // nobody reading and hands the pipe back (``ReplyChannel/ensureReader()``).
        storage.withMachine { machine in
            guard machine.holdsNoJob(slot: slot, generation: generation) else { return }
            machine.handle(slot: slot, generation: generation)?.replies.releaseFromIOThread()
        }
    }

    func exited(_ report: ExitReport) {
        storage.services.workerEnded(slot: slot, generation: generation)
        startup.deliver(.failed(TaskError.workerStartFailed(report)))
        exit.deliver(report)
    }

    // MARK: Frames

    /// An answer: completes its job, and sends the next jobs when the read ends.
    private func answered(_ frame: Frame) {
        let action = storage.withMachine {
            $0.taskFinished(slot: slot, generation: generation, jobID: frame.id)
        }
        switch action {
        case .finished(let job, let sends, let started, let retire):
            pendingSends.append(contentsOf: sends)  // written after the read's last frame
            if let started {
                storage.startTimeout(
                    of: started.job, slot: started.slot, generation: started.generation, start: started.start)
            }
            if let retire { retire.closeRequests() }
            if job != nil, frame.kind != .failure,
                let ceiling = storage.configuration.recycling.maximumResidentBytes
            {
                storage.recycleIfLarge(slot: slot, generation: generation, ceiling: ceiling)
            }
            if let job {
                if frame.kind != .failure {
                    job.complete(.success(frame.payload))
                } else {
                    let error =
                        (try? WireCodec.decode(TaskError.self, from: frame.payload))
                        ?? TaskError.protocolViolation(
                            "the worker sent a failure of task '\(job.name)' that could not be decoded")
                    job.complete(.failure(error))
                }
            }
        case .ignore:
            break
        case .violation(let process):
            logger.error(
                "worker answered a task it was not running; stopping it",
                metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.task.id": "\(frame.id)"])
            process.signal(SIGKILL)
        }
    }

    /// Runs a call from worker code to a service of the parent, and sends the outcome back on
    /// the worker's channel.
    private func serviceCall(_ frame: Frame) {
        let process = storage.withMachine { $0.handle(slot: slot, generation: generation) }
        guard let process else { return }  // a worker being replaced: its caller is gone
        let call: ServicePayload.Call
        // A call from a task that runs in a trace context: its handler runs in that context.
        var context: ServiceContext?
        do {
            if frame.kind == .serviceCallTraced {
                let traced = try TracedPayload(frame)
                context = TraceCarrier.context(from: traced)
                call = try ServicePayload.Call(traced.frame.payload)
            } else {
                call = try ServicePayload.Call(frame.payload)
            }
        } catch {
            logger.error(
                "worker sent an unreadable service call; stopping it",
                metadata: ["parallax.worker.pid": "\(process.pid)", "parallax.error": "\(error)"])
            process.signal(SIGKILL)
            return
        }
        let limit = storage.configuration.payloadLimit
        storage.services.start(call, id: frame.id, slot: slot, generation: generation, context: context) {
            outcome in
            var reply = ServicePayload.reply(outcome)
            if reply.count > limit {
                reply = ServicePayload.reply(
                    .failure(
                        ServiceError(
                            kind: .payloadTooLarge, method: call.method,
                            message:
                                "the parent's answer encodes to \(reply.count) bytes, over the pool's payload "
                                + "limit of \(limit) bytes (Configuration.maximumPayloadSize)")))
            }
            process.enqueue(kind: .serviceReply, id: frame.id, payload: reply, sequence: nil)
            _ = process.flush()
        }
    }
}

import CParallaxSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The loop of a worker process. See ``Worker``.
///
/// Tasks run one at a time, in the order they arrive; the parent may send several ahead, and
/// relies on that order to know which one was running when a worker dies.
///
/// Threads: a reader thread reads the request pipe into the mailbox and, when no task runs the
/// queue, starts one with `Task.immediate`, which runs the queued frames one after another on the
/// reader thread until one suspends, so a frame that never suspends costs no thread hop and no
/// task of its own. A task that suspends goes on with the queue from wherever it resumes, while
/// the reader goes back to reading. A cancel frame for the running frame cancels the queue's
/// task, which hands the frames after it to a new one; a cancel for a frame that has not started
/// makes the queue skip it. A watchdog thread waits for the request pipe to hang up, which happens
/// when the parent closes it or dies, even while a task keeps the reader busy, and ends the
/// process then.
final class WorkerServer: Sendable {
    static let requestFD: Int32 = 3
    static let replyFD: Int32 = 4

    let registry: TaskRegistry
    /// The largest payload either way on the channel, as the parent set it.
    let payloadLimit: Int
    let slot = getenv(WorkerLaunch.slotVariable).flatMap { Int(String(cString: $0)) } ?? 0
    let pid = getpid()
    let logger: Logger
    /// One writer at a time on the reply channel: the task loop and the service calls.
    private static let replyLock = Locked<Void>(())
    /// The run frames not started yet, the one that runs, and the task that runs them.
    let mailbox = Locked(MailboxStateMachine<Task<Void, Never>>())
    /// The calls in flight from this worker's tasks to the parent's services.
    let serviceCalls: ServiceCalls
    /// What the contexts of this worker's tasks share.
    let contextShared: WorkerContext.Shared
    /// The last task name a run frame carried, as bytes, with its name and handler: a worker
    /// mostly runs one kind of task, and a match saves building the name and looking it up.
    let recentTask = Locked<RecentTask?>(nil)

    init(registry: TaskRegistry) {
        self.registry = registry
        let timeout = getenv(WorkerLaunch.serviceTimeoutVariable).flatMap { Int64(String(cString: $0)) }
        let limit = getenv(WorkerLaunch.payloadLimitVariable).flatMap { Int(String(cString: $0)) }
        self.payloadLimit = min(max(0, limit ?? Frame.maximumPayloadCount), Frame.maximumPayloadCount)
        let send = Self.sendFrame
        self.serviceCalls = ServiceCalls(
            defaultTimeout: timeout.map { .microseconds($0) }, payloadLimit: payloadLimit, send: send)
        var logger = Logger(label: "parallax.worker")
        logger[metadataKey: "parallax.worker.pid"] = "\(getpid())"
        self.logger = logger
        self.contextShared = WorkerContext.Shared(logger: logger, serviceCalls: serviceCalls)
    }

    func serve(bootstrap: (@Sendable () async throws -> Void)?) async {
        cpx_line_buffer_stdout()
        signal(SIGPIPE, SIG_IGN)
        // The channel must not leak into processes that tasks start: a grandchild holding the
        // reply pipe would keep the parent from seeing this worker end.
        _ = cpx_set_cloexec(Self.requestFD)
        _ = cpx_set_cloexec(Self.replyFD)
        ParentWatchdog.start(requestFD: Self.requestFD)
        LeaseDeadline.start()
        if let failure = ResourceLimits.applyFromEnvironment(pid: pid)
            ?? WorkerPrivileges.applyFromEnvironment(pid: pid)
        {
            send(kind: .bootstrapFailed, id: 0, payload: (try? WireCodec.encode(failure)) ?? [])
            exit(WorkerExit.bootstrapFailed.rawValue)
        }

        if let bootstrap {
            do {
                try await bootstrap()
            } catch {
                var failure = TaskError(describing: error, context: "in the bootstrap of worker pid \(pid)")
                failure.workerPID = pid
                send(kind: .bootstrapFailed, id: 0, payload: (try? WireCodec.encode(failure)) ?? [])
                exit(WorkerExit.bootstrapFailed.rawValue)
            }
        }

        // Start-up garbage (bootstrap, argument parsing) goes back to the system before the
        // worker idles: a warm worker should cost little memory.
        _ = cpx_trim_heap()
        let hello = Handshake(registryFingerprint: registry.fingerprint).frame()
        send(kind: hello.kind, id: hello.id, payload: hello.payload)
        let channelClosed = OneShot<Void>()
        OSThread.detach(name: "px-worker-rx") {
            self.readRequests()
            channelClosed.deliver(())
        }
        await channelClosed.wait()
    }

    /// Tells the parent that this worker cannot serve it, and ends the process.
    func refuse(_ failure: TaskError) -> Never {
        signal(SIGPIPE, SIG_IGN)
        send(kind: .bootstrapFailed, id: 0, payload: (try? WireCodec.encode(failure)) ?? [])
        exit(WorkerExit.bootstrapFailed.rawValue)
    }

    func send(kind: Frame.Kind, id: UInt64, payload: [UInt8]) {
        Self.sendFrame(kind, id, payload)
    }

    /// Writes a frame to the parent; ends the process when the parent is gone.
    private static let sendFrame: @Sendable (Frame.Kind, UInt64, [UInt8]) -> Void = { kind, id, payload in
        let delivered = replyLock.withLock { _ in
            (try? Frame.write(to: replyFD, kind: kind, id: id, payload: payload)) != nil
        }
        if !delivered { ParentWatchdog.endAfterHangUp() }  // the parent closed its end, or died
    }

    /// Writes a line to stderr, which the parent keeps for the worker's exit report.
    static func complain(_ message: String) {
        try? FileDescriptorIO.writeAll(2, Array("parallax worker: \(message)\n".utf8))
    }

    /// Complains on stderr and ends the process: the parent broke the protocol.
    static func protocolError(_ error: any Error) -> Never {
        complain("\(error)")
        _exit(WorkerExit.protocolError.rawValue)
    }
}

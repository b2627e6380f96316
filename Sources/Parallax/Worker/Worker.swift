import CParallaxSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The worker side: the entry call that turns a copy of your executable into a warm worker.
///
/// A pool starts workers by running an executable again in worker mode, by default the very
/// executable that created the pool. Call ``serveIfWorker(_:bootstrap:)-(TaskRegistry,_)`` first thing in `main`:
/// in the parent it returns at once; in a worker it serves tasks until the parent closes the
/// channel or dies, then exits the process, so it never returns there.
///
/// ```swift
/// @main struct App {
///     static func main() async throws {
///         await Worker.serveIfWorker(tasks)   // in a worker: serves, then exits
///         // ... the parent's code
///     }
/// }
/// ```
///
/// Code that runs before this call runs in every worker too: keep it to what both need.
public enum Worker {
    /// Whether this process was started as a worker by a pool.
    public static var isWorkerProcess: Bool {
        getenv(WorkerLaunch.channelVariable) != nil
    }

    /// Serves tasks when this process is a worker; returns at once otherwise.
    ///
    /// In a worker it runs `bootstrap` once (a failure is reported to the parent and the worker
    /// exits), sends the handshake, then runs one task at a time until the channel closes. The
    /// worker's stdout is made line-buffered so that what tasks print reaches the parent's log
    /// promptly; it never mixes with the protocol, which has descriptors of its own.
    ///
    /// - Parameters:
    ///   - registry: The tasks this worker can run; the same registry as the parent's.
    ///   - bootstrap: Set-up run once per worker process before it takes work, such as opening a
    ///     connection or warming a cache.
    public static func serveIfWorker(
        _ registry: TaskRegistry, bootstrap: (@Sendable () async throws -> Void)? = nil
    ) async {
        await serveIfWorker([registry], bootstrap: bootstrap)
    }

    /// Serves the registry its pool asks for when this process is a worker; returns at once
    /// otherwise. For an executable that runs several pools, each with a registry of its own.
    ///
    /// Each pool tells its workers which registry it was built with; the worker serves the one of
    /// `registries` that matches. A worker that has none of them fails its start with a message
    /// that names what it has, and the pool stops with ``WorkerPoolError/Code/registryMismatch``
    /// instead of restarting it.
    ///
    /// ```swift
    /// let imaging = TaskRegistry(Resize.self, Thumbnail.self)
    /// let reports = TaskRegistry(MonthlyReport.self)
    /// await Worker.serveIfWorker([imaging, reports])
    /// let imagePool = WorkerPool(configuration: .cpuBound, tasks: imaging)
    /// let reportPool = WorkerPool(configuration: .singleWorker, tasks: reports)
    /// ```
    ///
    /// - Parameters:
    ///   - registries: Every registry a pool of this executable is built with.
    ///   - bootstrap: Set-up run once per worker process before it takes work.
    public static func serveIfWorker(
        _ registries: [TaskRegistry], bootstrap: (@Sendable () async throws -> Void)? = nil
    ) async {
        guard isWorkerProcess else { return }
        let wanted = getenv(WorkerLaunch.registryVariable).flatMap { UInt64(String(cString: $0), radix: 16) }
        guard let wanted else {
            // A parent that does not say which registry: the first, checked by the handshake.
            await WorkerServer(registry: registries.first ?? TaskRegistry()).serve(bootstrap: bootstrap)
            exit(0)
        }
        guard let registry = registries.first(where: { $0.fingerprint == wanted }) else {
            WorkerServer(registry: registries.first ?? TaskRegistry()).refuse(
                Self.mismatch(registries, wanted))
        }
        await WorkerServer(registry: registry).serve(bootstrap: bootstrap)
        exit(0)
    }

    /// Why a worker that serves `registries` cannot serve a pool whose registry is `wanted`.
    static func mismatch(_ registries: [TaskRegistry], _ wanted: UInt64) -> TaskError {
        TaskError.registryMismatch(served: registries.map(\.names), wanted: wanted, workerPID: getpid())
    }
}

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
    let slot = Int(String(cString: getenv(WorkerLaunch.slotVariable) ?? strdup("0"))) ?? 0
    let pid = getpid()
    let logger: Logger
    /// One writer at a time on the reply channel: the task loop and the service calls.
    private static let replyLock = Locked<Void>(())
    private let mailbox = Locked(Mailbox())
    /// The calls in flight from this worker's tasks to the parent's services.
    private let serviceCalls: ServiceCalls
    /// What the contexts of this worker's tasks share.
    private let contextShared: WorkerContext.Shared
    /// The last task name a run frame carried, as bytes, with its name and handler: a worker
    /// mostly runs one kind of task, and a match saves building the name and looking it up.
    private let recentTask = Locked<RecentTask?>(nil)

    /// A class, so that the handler is stored as itself: a function kept in a generic container
    /// comes back wrapped in a thunk on every read.
    private final class RecentTask: Sendable {
        let bytes: [UInt8]
        let name: String
        let handler: TaskRegistry.Handler?

        init(name: String, handler: TaskRegistry.Handler?) {
            self.bytes = Array(name.utf8)
            self.name = name
            self.handler = handler
        }
    }

    /// Run frames not started yet, the one that runs, and the task that runs them.
    private struct Mailbox: ~Copyable {
        var frames = FIFOQueue<Frame>()
        var cancelled: Set<UInt64> = []
        /// Whether a task runs the queue: the reader starts one only when none does.
        var draining = false
        var runningID: UInt64?
        /// The task that runs the queue, once `Task.immediate` returned while it was still at
        /// work: a cancel for the running frame cancels it, and it hands the rest of the queue to
        /// a new task.
        var drainTask: Task<Void, Never>?
        /// Counts the tasks that ran the queue; the last one that ended.
        var drainGeneration: UInt64 = 0
        var endedGeneration: UInt64 = 0
    }

    /// What the queue's task does next.
    private enum Step {
        case run(Frame)
        case skip(Frame)
        /// This task was cancelled for the frame it ran: a new task takes the rest.
        case handOver
        case done
    }

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
        Self.goodbyeEvent.store(cpx_eventfd(), ordering: .releasing)
        if let expected = getenv(WorkerLaunch.parentVariable).flatMap({ Int32(String(cString: $0)) }) {
            // Opened while the parent is known alive: it tells later whether the parent died.
            Self.parentPidFD.store(cpx_pidfd_open(expected), ordering: .releasing)
            if getppid() != expected {
                Self.endAfterHangUp()  // the parent died before this worker started
            }
        }
        OSThread.detach(name: "px-watchdog") { Self.exitWhenTheParentHangsUp() }
        if let failure = applyResourceLimits() ?? applyPrivileges() {
            send(kind: .bootstrapFailed, id: 0, payload: (try? WireCodec.encode(failure)) ?? [])
            exit(78)
        }

        if let bootstrap {
            do {
                try await bootstrap()
            } catch {
                var failure = TaskError(describing: error, context: "in the bootstrap of worker pid \(pid)")
                failure.workerPID = pid
                send(kind: .bootstrapFailed, id: 0, payload: (try? WireCodec.encode(failure)) ?? [])
                exit(78)
            }
        }

        // Start-up garbage (bootstrap, argument parsing) goes back to the system before the
        // worker idles: a warm worker should cost little memory.
        _ = cpx_trim_heap()
        let hello = Handshake(pid: pid, registryFingerprint: registry.fingerprint).frame()
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
        exit(78)
    }

    /// Reads frames until end of file into the mailbox, starting a drain loop when none runs.
    private func readRequests() {
        var decoder = FrameDecoder(maximumPayloadSize: payloadLimit)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var frames: [Frame] = []
        while true {
            let count = (try? FileDescriptorIO.read(Self.requestFD, into: buffer)) ?? 0
            if count == 0 {
                // Nothing more will come. Without a goodbye the parent may have died.
                if !Self.parentSaidGoodbye.load(ordering: .acquiring) { Self.endAfterHangUp() }
                return
            }
            decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            frames.removeAll(keepingCapacity: true)
            do {
                while let frame = try decoder.next() {
                    switch frame.kind {
                    case .run, .runBatch, .cancel:
                        frames.append(frame)
                    case .ping:
                        // Answered here, before any task: the channel's own round trip.
                        send(kind: .pong, id: frame.id, payload: frame.payload)
                    case .goodbye:
                        Self.parentSaidGoodbye.store(true, ordering: .releasing)
                        let event = Self.goodbyeEvent.load(ordering: .acquiring)
                        if event >= 0 { cpx_eventfd_signal(event) }  // a watchdog may wait for it
                    case .serviceReply:
                        // Straight to its caller: a task waiting on a service must not wait for
                        // the mailbox, where the task itself is the one running.
                        serviceCalls.replied(frame)
                    default:
                        throw ProtocolError(.unexpectedFrame("\(frame.kind) frame from the parent"))
                    }
                }
            } catch {
                Self.complain("\(error)")
                _exit(76)
            }
            // Every frame of this read is in the mailbox before a task starts, so a cancel that
            // arrived with its task is seen first.
            let startDrain = mailbox.withLock { mailbox -> Bool in
                for frame in frames {
                    if frame.kind != .cancel {
                        mailbox.frames.append(frame)
                    } else {
                        mailbox.cancelled.insert(frame.id)
                        if mailbox.runningID == frame.id { mailbox.drainTask?.cancel() }
                    }
                }
                guard !mailbox.draining, !mailbox.frames.isEmpty else { return false }
                mailbox.draining = true
                return true
            }
            if startDrain { drain() }
        }
    }

    /// Starts a task that runs the mailbox's frames one at a time; called with `draining` set.
    /// The task starts on this thread and runs frames here until one suspends; it then goes on
    /// from wherever it resumes, and this thread returns to its caller.
    private func drain() {
        let generation = mailbox.withLock { mailbox -> UInt64 in
            mailbox.drainGeneration += 1
            return mailbox.drainGeneration
        }
        let task = Task.immediate { await self.runQueue(generation: generation) }
        mailbox.withLock { mailbox in
            guard mailbox.endedGeneration != generation else { return }
            mailbox.drainTask = task
            if let running = mailbox.runningID, mailbox.cancelled.contains(running) { task.cancel() }
        }
    }

    /// The body of the queue's task. Every frame runs in this task: a cancel from the parent
    /// cancels it while that frame runs, and the frames after it go to a new task.
    private func runQueue(generation: UInt64) async {
        while true {
            let step = mailbox.withLock { mailbox -> Step in
                mailbox.runningID = nil
                if Task.isCancelled {
                    mailbox.endedGeneration = generation
                    mailbox.drainTask = nil
                    return .handOver
                }
                guard let frame = mailbox.frames.popFirst() else {
                    mailbox.draining = false
                    mailbox.endedGeneration = generation
                    mailbox.drainTask = nil
                    // A cancel can name a task that finished before it arrived; keep the set small.
                    if mailbox.cancelled.count > 1_024 { mailbox.cancelled.removeAll() }
                    return .done
                }
                if mailbox.cancelled.remove(frame.id) != nil { return .skip(frame) }
                mailbox.runningID = frame.id
                return .run(frame)
            }
            switch step {
            case .run(let frame):
                if frame.kind == .runBatch { await runBatch(frame) } else { await run(frame) }
            case .skip(let frame):
                let cancelled = TaskError.cancelled(workerPID: pid)
                send(kind: .failure, id: frame.id, payload: (try? WireCodec.encode(cancelled)) ?? [])
            case .handOver:
                drain()
                return
            case .done:
                return
            }
        }
    }

    /// Runs a registered function over every input of a batch, one at a time, and answers with
    /// one outcome per input.
    private func runBatch(_ frame: Frame) async {
        let batch: BatchPayload.Request
        do {
            batch = try BatchPayload.Request(frame.payload)
        } catch {
            Self.complain("\(error)")
            _exit(76)
        }
        let context = context(for: frame.id)
        var reply = BatchPayload.ReplyWriter(count: batch.inputs.count)
        if let handler = registry.batchHandler(named: batch.name) {
            await handler(batch.inputs, context, &reply)
        } else {
            for input in batch.inputs { reply.append(await perform(batch.name, nil, input, context)) }
        }
        if reply.bytes.count > payloadLimit {
            // Every input of the chunk fails alike: the answers cannot cross together.
            let tooLarge = payloadTooLarge(
                "the answers of a chunk of \(batch.inputs.count) inputs of '\(batch.name)'", reply.bytes.count
            )
            reply = BatchPayload.ReplyWriter(count: batch.inputs.count)
            for _ in batch.inputs { reply.append(.failure(tooLarge)) }
        }
        send(kind: .batchResult, id: frame.id, payload: reply.bytes)
    }

    private func run(_ frame: Frame) async {
        let (name, handler, input) = lookUp(frame)
        switch await perform(name, handler, input, context(for: frame.id)) {
        case .success(let bytes) where bytes.count > payloadLimit:
            let error = payloadTooLarge("the output of '\(name)'", bytes.count)
            send(kind: .failure, id: frame.id, payload: (try? WireCodec.encode(error)) ?? [])
        case .success(let bytes):
            send(kind: .result, id: frame.id, payload: bytes)
        case .failure(let error):
            let payload = (try? WireCodec.encode(error)) ?? []
            send(kind: .failure, id: frame.id, payload: payload)
        }
    }

    /// The task a run frame names, its handler and its input.
    private func lookUp(_ frame: Frame) -> (String, TaskRegistry.Handler?, ArraySlice<UInt8>) {
        let recent = recentTask.withLock { $0 }
        if let recent, let input = RunRequest.input(of: frame.payload, ifNamed: recent.bytes) {
            return (recent.name, recent.handler, input)
        }
        let request: RunRequest
        do {
            request = try RunRequest(frame: frame)
        } catch {
            Self.complain("\(error)")
            _exit(76)
        }
        let handler = registry.handler(named: request.name)
        let seen = RecentTask(name: request.name, handler: handler)
        recentTask.withLock { $0 = seen }
        return (request.name, handler, request.input)
    }

    /// The failure of an answer over the payload limit, which the parent would refuse.
    private func payloadTooLarge(_ what: String, _ count: Int) -> TaskError {
        TaskError.payloadTooLarge(what, count: count, limit: payloadLimit, workerPID: pid)
    }

    private func context(for taskID: UInt64) -> WorkerContext {
        WorkerContext(slot: slot, pid: pid, taskID: taskID, shared: contextShared)
    }

    /// Runs one input through a handler; a missing handler is a rejection, and every error
    /// names this worker.
    private func perform(
        _ name: String, _ handler: TaskRegistry.Handler?, _ input: ArraySlice<UInt8>, _ context: WorkerContext
    ) async -> Result<[UInt8], TaskError> {
        guard let handler else {
            return .failure(TaskError.unregisteredTask(name, workerPID: pid))
        }
        return await handler(input, context).mapError { error in
            var error = error
            error.workerPID = pid
            return error
        }
    }

    private func send(kind: Frame.Kind, id: UInt64, payload: [UInt8]) {
        Self.sendFrame(kind, id, payload)
    }

    /// Writes a frame to the parent; ends the process when the parent is gone.
    private static let sendFrame: @Sendable (Frame.Kind, UInt64, [UInt8]) -> Void = { kind, id, payload in
        let delivered = replyLock.withLock { _ in
            (try? Frame.write(to: replyFD, kind: kind, id: id, payload: payload)) != nil
        }
        if !delivered { endAfterHangUp() }  // the parent closed its end, or died
    }

    /// Sets the limits the parent asked for on this process. Returns why that failed, if it did.
    private func applyResourceLimits() -> TaskError? {
        guard let value = getenv(WorkerLaunch.limitsVariable).map({ String(cString: $0) }) else { return nil }
        guard let limits = ResourceLimits(environmentValue: value) else {
            return TaskError.resourceLimitsNotApplied("read its resource limits '\(value)'", workerPID: pid)
        }
        let requested: [(resource: Int32, name: String, value: Int?)] = [
            (Int32(RLIMIT_DATA.rawValue), "memory", limits.memoryBytes),
            (Int32(RLIMIT_CPU.rawValue), "CPU time", limits.cpuSeconds),
            (Int32(RLIMIT_NOFILE.rawValue), "open files", limits.openFiles),
        ]
        for (resource, name, value) in requested {
            guard let value else { continue }
            var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            if resource == Int32(RLIMIT_CPU.rawValue) {
                // SIGXCPU at the soft limit names the cause; the hard limit one second later kills.
                limit.rlim_max = rlim_t(value + 1)
            }
            guard setrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else {
                return TaskError.resourceLimitsNotApplied(
                    "limit its \(name) to \(value): \(String(cString: strerror(errno)))", workerPID: pid)
            }
        }
        return nil
    }

    /// Switches group and user and sets no_new_privs as the parent asked. Returns why that
    /// failed, if it did.
    private func applyPrivileges() -> TaskError? {
        guard let value = getenv(WorkerLaunch.privilegesVariable).map({ String(cString: $0) }) else {
            return nil
        }
        func failure(_ what: String) -> TaskError {
            TaskError.privilegesNotDropped("\(what): \(String(cString: strerror(errno)))", workerPID: pid)
        }
        guard let privileges = WorkerPrivileges(environmentValue: value) else {
            return TaskError.privilegesNotDropped("read its privileges '\(value)'", workerPID: pid)
        }
        // Group before user: once the user is not root, the group can no longer change.
        if let group = privileges.groupID {
            guard setgroups(0, nil) == 0 else { return failure("drop its supplementary groups") }
            guard setgid(gid_t(group)) == 0 else { return failure("switch to group \(group)") }
        }
        if let user = privileges.userID {
            guard setuid(uid_t(user)) == 0 else { return failure("switch to user \(user)") }
        }
        if privileges.noNewPrivileges {
            guard cpx_set_no_new_privs() == 0 else { return failure("set no_new_privs") }
        }
        return nil
    }

    /// Writes a line to stderr, which the parent keeps for the worker's exit report.
    private static func complain(_ message: String) {
        try? FileDescriptorIO.writeAll(2, Array("parallax worker: \(message)\n".utf8))
    }

    /// A pidfd of the parent, or -1: readable once the parent has died.
    private static let parentPidFD = Atomic<Int32>(-1)
    /// The parent sent ``Frame/Kind/goodbye``: it closes the channel on purpose and lives on.
    private static let parentSaidGoodbye = Atomic<Bool>(false)
    /// An eventfd the reader signals when it reads the goodbye, or -1.
    private static let goodbyeEvent = Atomic<Int32>(-1)
    /// How long a worker whose channel ended without a goodbye waits to learn that its parent
    /// died. The parent's descriptors close a moment before its death can be seen, so the check
    /// waits; a goodbye that the reader reads meanwhile ends the wait at once, and a parent that
    /// lives on answers the question by the end of it.
    static let parentDeathWait: Int32 = 250  // milliseconds

    /// Blocks until the request pipe has no writer left (the parent closed it or died), then ends
    /// the process, whatever its tasks are doing.
    private static func exitWhenTheParentHangsUp() {
        var fds = [pollfd(fd: requestFD, events: 0, revents: 0)]
        while true {
            let ready = poll(&fds, 1, -1)
            if ready < 0, errno == EINTR { continue }
            if ready > 0, fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { break }
        }
        endAfterHangUp()
    }

    /// Ends the process after its channel ended. When the parent died, no one else will stop
    /// what this worker's tasks started, so the worker ends its session and its process group
    /// (which it leads; see `cpx_spawn`), itself last.
    private static func endAfterHangUp() -> Never {
        cpx_flush_stdout()
        if !parentSaidGoodbye.load(ordering: .acquiring), parentHasDied(), getsid(0) == getpid() {
            _ = cpx_kill_session(getpid(), SIGKILL, getpid())
            _ = cpx_kill_own_group(SIGKILL)
        }
        _exit(0)
    }

    /// Whether the parent has died, waiting up to ``parentDeathWait`` to find out; a goodbye read
    /// meanwhile answers no.
    private static func parentHasDied() -> Bool {
        let descriptor = parentPidFD.load(ordering: .acquiring)
        guard descriptor >= 0 else {
            // No pidfd: a parent that died has handed this process to another.
            let expected = getenv(WorkerLaunch.parentVariable).flatMap { Int32(String(cString: $0)) }
            return expected != nil && getppid() != expected
        }
        var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: goodbyeEvent.load(ordering: .acquiring), events: Int16(POLLIN), revents: 0),
        ]
        var ready: Int32
        repeat { ready = poll(&fds, 2, parentDeathWait) } while ready < 0 && errno == EINTR
        return ready > 0 && fds[0].revents != 0 && !parentSaidGoodbye.load(ordering: .acquiring)
    }
}

import CParallaxSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reading the parent's frames into the mailbox, and the task that runs the mailbox.
extension WorkerServer {
    /// Reads frames until end of file into the mailbox, starting a drain loop when none runs.
    func readRequests() {
        // A traced frame carries its trace context besides a payload of up to the limit.
        var decoder = FrameDecoder(maximumPayloadSize: payloadLimit + TracedPayload.maximumContextSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var frames: [Frame] = []
        while true {
            let count = (try? FileDescriptorIO.read(Self.requestFD, into: buffer)) ?? 0
            if count == 0 {
                // Nothing more will come. Without a goodbye the parent may have died.
                if !ParentWatchdog.parentSaidGoodbye { ParentWatchdog.endAfterHangUp() }
                return
            }
            decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            frames.removeAll(keepingCapacity: true)
            do {
                while let frame = try decoder.next() {
                    switch frame.kind {
                    case .run, .runBatch, .runTraced, .runBatchTraced, .cancel:
                        frames.append(frame)
                    case .ping:
                        // Benchmark support: the channel's own round trip, answered before any task.
                        send(kind: .pong, id: frame.id, payload: frame.payload)
                    case .goodbye:
                        ParentWatchdog.goodbyeReceived()
                    case .serviceReply:
                        // Straight to its caller: a task waiting on a service must not wait for
                        // the mailbox, where the task itself is the one running.
                        serviceCalls.replied(frame)
                    default:
                        throw ProtocolError(.unexpectedFrame("\(frame.kind) frame from the parent"))
                    }
                }
            } catch {
                Self.protocolError(error)
            }
            let (startDrain, cancel) = mailbox.withLock { $0.received(frames) }
            cancel?.cancel()
            if startDrain { drain() }
        }
    }

    /// Starts a task that runs the mailbox's frames one at a time. The task starts on this thread
    /// and runs frames here until one suspends; it then goes on from wherever it resumes, and this
    /// thread returns to its caller.
    private func drain() {
        let generation = mailbox.withLock { $0.drainStarting() }
        let task = Task.immediate { await self.runQueue(generation: generation) }
        mailbox.withLock { $0.drainStarted(task, generation: generation) }?.cancel()
    }

    /// The body of the queue's task. Every frame runs in this task: a cancel from the parent
    /// cancels it while that frame runs, and the frames after it go to a new task.
    private func runQueue(generation: UInt64) async {
        while true {
            let step = mailbox.withLock { $0.next(generation: generation, isCancelled: Task.isCancelled) }
            switch step {
            case .run(let frame):
                await start(frame)
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
}

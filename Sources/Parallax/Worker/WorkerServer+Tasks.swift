import CParallaxSystem
import Instrumentation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Running a run frame or a batch through the registry, and answering it.
extension WorkerServer {
    /// A class, so that the handler is stored as itself: a function kept in a generic container
    /// comes back wrapped in a thunk on every read.
    final class RecentTask: Sendable {
        let bytes: [UInt8]
        let name: String
        let handler: TaskRegistry.Handler?

        init(name: String, handler: TaskRegistry.Handler?) {
            self.bytes = Array(name.utf8)
            self.name = name
            self.handler = handler
        }
    }

    /// Runs a run or batch frame; a traced one in the service context its caller's instrument
    /// injected, as this worker's instrument extracts it.
    func start(_ frame: Frame) async {
        switch frame.kind {
        case .runTraced, .runBatchTraced:
            let traced: TracedPayload
            do {
                traced = try TracedPayload(frame)
            } catch {
                Self.protocolError(error)
            }
            let trace = TraceParent(traced[TraceParent.key])
            await ServiceContext.withValue(TraceCarrier.context(from: traced)) {
                await start(traced.frame, trace: trace)
            }
        default:
            await start(frame, trace: nil)
        }
    }

    private func start(_ frame: Frame, trace: TraceParent?) async {
        if frame.kind == .runBatch {
            await runBatch(frame, trace: trace)
        } else {
            await run(frame, trace: trace)
        }
    }

    /// Runs a registered function over every input of a batch, one at a time, and answers with
    /// one outcome per input.
    private func runBatch(_ frame: Frame, trace: TraceParent?) async {
        let batch: BatchPayload.Request
        do {
            batch = try BatchPayload.Request(frame.payload)
        } catch {
            Self.protocolError(error)
        }
        let context = context(for: frame.id, trace: trace)
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

    private func run(_ frame: Frame, trace: TraceParent?) async {
        let (name, handler, input) = lookUp(frame)
        switch await perform(name, handler, input, context(for: frame.id, trace: trace)) {
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
            Self.protocolError(error)
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

    private func context(for taskID: UInt64, trace: TraceParent?) -> WorkerContext {
        WorkerContext(slot: slot, pid: pid, taskID: taskID, shared: contextShared, trace: trace)
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
}

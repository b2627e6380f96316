import Instrumentation

/// The worker side of service calls: the calls in flight from this worker's tasks, each waiting
/// for its reply, its deadline or its task's cancellation, whichever comes first.
package final class ServiceCalls: Sendable {
    private enum Entry {
        case waiting(
            method: String, CheckedContinuation<Result<[UInt8], ServiceError>, Never>,
            deadline: TimerService.Timer?)
        /// Cancelled before its continuation was stored: the call ends as soon as it is.
        case cancelledEarly
    }

    private let entries = Locked<(next: UInt64, calls: [UInt64: Entry])>((1, [:]))
    private let send: @Sendable (Frame.Kind, UInt64, [UInt8]) -> Void
    /// The deadline of a call that sets none.
    package let defaultTimeout: Duration?
    /// The largest call payload the parent takes.
    private let payloadLimit: Int
    /// Where the calls' deadlines run.
    private let timers: TimerService

    /// - Parameters:
    ///   - defaultTimeout: The deadline of a call that sets none.
    ///   - payloadLimit: The largest call payload the parent takes.
    ///   - timers: Where the calls' deadlines run.
    ///   - send: Writes a frame to the parent.
    package init(
        defaultTimeout: Duration?, payloadLimit: Int = Frame.maximumPayloadCount,
        timers: TimerService = TimerService(),
        send: @escaping @Sendable (Frame.Kind, UInt64, [UInt8]) -> Void
    ) {
        self.defaultTimeout = defaultTimeout
        self.payloadLimit = payloadLimit
        self.timers = timers
        self.send = send
    }

    /// How many calls wait for an answer.
    package var count: Int { entries.withLock { $0.calls.count } }

    /// Sends a call and waits for its outcome.
    package func call(
        method: String, taskID: UInt64, input: [UInt8], timeout: Duration?
    ) async -> Result<[UInt8], ServiceError> {
        var payload = ServicePayload.Call(method: method, taskID: taskID, input: input).payload
        guard payload.count <= payloadLimit else {
            return .failure(
                ServiceError(
                    kind: .payloadTooLarge, method: method,
                    message:
                        "the call's input encodes to \(payload.count) bytes, over the pool's payload limit of "
                        + "\(payloadLimit) bytes (Configuration.maximumPayloadSize)"))
        }
        // The calling task's trace context goes with the call: the parent runs its handler in it.
        var kind = Frame.Kind.serviceCall
        if let context = ServiceContext.current, let wire = TraceCarrier.wire(for: context) {
            kind = .serviceCallTraced
            payload = TracedPayload.wrap(wire, around: payload)
        }
        let id = entries.withLock { state in
            defer { state.next &+= 1 }
            return state.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let start = entries.withLock { state -> Bool in
                    if case .cancelledEarly = state.calls[id] {
                        state.calls[id] = nil
                        return false
                    }
                    state.calls[id] = .waiting(method: method, continuation, deadline: nil)
                    return true
                }
                guard start else {
                    continuation.resume(returning: .failure(Self.cancelled(method)))
                    return
                }
                if let timeout { setDeadline(of: id, after: timeout) }
                send(kind, id, payload)
            }
        } onCancel: {
            let waiting = entries.withLock { state -> Bool in
                guard state.calls[id] != nil else {
                    state.calls[id] = .cancelledEarly
                    return false
                }
                return true
            }
            if waiting { end(id, tellParent: true) { .failure(Self.cancelled($0)) } }
        }
    }

    /// Ends the call `id` with a timeout once `timeout` has passed, unless it ended before.
    private func setDeadline(of id: UInt64, after timeout: Duration) {
        let timer = timers.schedule(after: timeout) { [self] in
            end(id, tellParent: true) { method in
                .failure(
                    ServiceError(
                        kind: .timedOut, method: method,
                        message: "no answer from the parent within \(timeout)"))
            }
        }
        entries.withLock { state in
            guard case .waiting(let method, let continuation, _) = state.calls[id] else {
                timers.cancel(timer)  // it ended meanwhile
                return
            }
            state.calls[id] = .waiting(method: method, continuation, deadline: timer)
        }
    }

    /// Hands a serviceReply frame to its call; a reply for a call that ended already is dropped.
    package func replied(_ frame: Frame) {
        end(frame.id, tellParent: false) { method in ServicePayload.outcome(frame.payload, method: method) }
    }

    /// Ends the call `id` if it still waits, with the outcome `outcome` makes from its method.
    private func end(
        _ id: UInt64, tellParent: Bool, _ outcome: (String) -> Result<[UInt8], ServiceError>
    ) {
        let entry = entries.withLock { state -> Entry? in
            guard case .waiting = state.calls[id] else { return nil }
            return state.calls.removeValue(forKey: id)
        }
        guard case .waiting(let method, let continuation, let deadline) = entry else { return }
        if let deadline { timers.cancel(deadline) }
        // The parent cancels its handler: a call that ended here must not hold its resources.
        if tellParent { send(.serviceCancel, id, []) }
        continuation.resume(returning: outcome(method))
    }

    private static func cancelled(_ method: String) -> ServiceError {
        ServiceError(kind: .cancelled, method: method, message: "the calling task was cancelled")
    }
}

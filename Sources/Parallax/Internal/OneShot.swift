/// A value delivered once, awaited by at most one task. Later deliveries are ignored.
package final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case delivered(Value)
        case consumed
    }

    private let state = Locked<State>(.empty)

    package init() {}

    /// Delivers the value; returns false if one was delivered before.
    @discardableResult
    package func deliver(_ value: Value) -> Bool {
        let continuation: CheckedContinuation<Value, Never>? = state.withLock { state in
            switch state {
            case .empty:
                state = .delivered(value)
                return nil
            case .waiting(let continuation):
                state = .consumed
                return continuation
            case .delivered, .consumed:
                return nil
            }
        }
        guard let continuation else { return false }
        continuation.resume(returning: value)
        return true
    }

    /// Whether the value was delivered and not yet taken.
    package var isDelivered: Bool {
        state.withLock { state in
            if case .delivered = state { return true }
            return false
        }
    }

    /// Takes the value without waiting, if it was delivered; the caller then never calls
    /// ``wait()``.
    package func take() -> Value? {
        state.withLock { state in
            guard case .delivered(let value) = state else { return nil }
            state = .consumed
            return value
        }
    }

    /// Waits for the value. Not cancellable: the producer always delivers.
    package func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let ready: Value? = state.withLock { state in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .delivered(let value):
                    state = .consumed
                    return value
                case .waiting, .consumed:
                    preconditionFailure("OneShot awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// The outcome of one task in a ``WaitGroup``: a value, or a ``/ParallaxWire/TaskError``.
///
/// ```swift
/// for (index, slot) in await group.wait().enumerated() {
///     if slot.ok {
///         print("slot \(index): \(slot.value!)")
///     } else {
///         print("slot \(index) failed: \(slot.error!.message)")
///     }
/// }
/// ```
public struct TaskResult<Value: Sendable>: Sendable {
    /// The outcome as a `Result`, for `switch` and `get()`.
    public var result: Result<Value, TaskError>

    /// Wraps an outcome.
    /// - Parameter result: The value or the error.
    @inlinable public init(_ result: Result<Value, TaskError>) {
        self.result = result
    }

    /// Whether the task produced a value.
    @inlinable public var ok: Bool {
        if case .success = result { return true }
        return false
    }

    /// The value, when the task produced one.
    @inlinable public var value: Value? {
        if case .success(let value) = result { return value }
        return nil
    }

    /// The error, when the task failed.
    @inlinable public var error: TaskError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    /// Returns the value or throws the ``/ParallaxWire/TaskError``.
    /// - Returns: The task's value.
    /// - Throws: ``/ParallaxWire/TaskError`` when the task failed.
    @inlinable public func get() throws(TaskError) -> Value {
        try result.get()
    }
}

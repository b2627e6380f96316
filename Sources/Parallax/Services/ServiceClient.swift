/// What a task uses to call the services of its pool's parent: ``WorkerContext/services``.
///
/// ```swift
/// struct Analyze: WorkerTask {
///     var shard: Int
///     func run(in context: WorkerContext) async throws -> Int64 {
///         let row = Row(shard: shard, total: compute(shard))
///         return try await context.services.call(ResultStore.save, row)
///     }
/// }
/// ```
public struct ServiceClient: Sendable {
    let calls: ServiceCalls?
    let taskID: UInt64

    /// Calls a method of the parent's services and waits for its output.
    ///
    /// The call travels on the worker's channel with the tasks; the parent runs it in a task of its
    /// own. Cancelling the calling task, or its deadline passing, ends the call at once and
    /// cancels the parent's handler.
    /// - Parameters:
    ///   - method: The method.
    ///   - input: Its input.
    ///   - timeout: The call's deadline; by default the pool's
    ///     ``WorkerPool/Configuration/serviceCallTimeout``.
    /// - Returns: The handler's output.
    /// - Throws: ``/ParallaxWire/ServiceError``: the handler threw (``/ParallaxWire/ServiceError/Kind/threw``, with its type,
    ///   message and code), the method is unknown, the pool is shutting down, the deadline passed,
    ///   the task was cancelled, or a value could not be encoded.
    public func call<Input, Output: Codable>(
        _ method: ServiceMethod<Input, Output>, _ input: Input, timeout: Duration? = nil
    ) async throws(ServiceError) -> Output {
        guard let calls else {
            throw ServiceError(
                kind: .notInWorker, method: method.name,
                message: "services are reached from tasks that run in a pool's worker processes")
        }
        let encoded: [UInt8]
        do {
            encoded = try WireCodec.encode(input)
        } catch {
            throw ServiceError(
                kind: .encoding, method: method.name, message: "the input cannot be encoded: \(error)")
        }
        let outcome = await calls.call(
            method: method.name, taskID: taskID, input: encoded, timeout: timeout ?? calls.defaultTimeout)
        switch outcome {
        case .success(let bytes):
            do {
                return try WireCodec.decode(Output.self, from: bytes)
            } catch {
                throw ServiceError(
                    kind: .encoding, method: method.name,
                    message: "the output could not be decoded as \(Output.self): \(error)")
            }
        case .failure(let error):
            throw error
        }
    }

    /// Calls a method of the parent's services that answers nothing, and waits until it has run.
    ///
    /// ```swift
    /// try await context.services.call(ResultStore.log, "shard \(shard) done")
    /// ```
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - input: Its input.
    ///   - timeout: The call's deadline; by default the pool's
    ///     ``WorkerPool/Configuration/serviceCallTimeout``.
    /// - Throws: ``/ParallaxWire/ServiceError``, as for ``call(_:_:timeout:)-(ServiceMethod<Input,Output>,_,_)``.
    public func call<Input>(
        _ method: ServiceMethod<Input, Void>, _ input: Input, timeout: Duration? = nil
    ) async throws(ServiceError) {
        _ = try await call(ServiceMethod<Input, NoOutput>(method.name), input, timeout: timeout)
    }
}

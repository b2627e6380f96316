/// The tasks and functions a pool's workers can run, by name.
///
/// Build the same registry in the parent and in the worker: the parent checks every task against
/// it before sending (an unknown task is a ``SpawnError`` at the call site), and the worker looks
/// names up in it and decodes only the types registered there. Nothing is ever looked up by a
/// type name that arrives over the wire. The worker reports a fingerprint of its registry in the
/// handshake, and the parent refuses a worker whose registry differs.
///
/// ```swift
/// var tasks = TaskRegistry(CountEvents.self, Resize.self)
/// tasks.register(TaskFunction("square") { (x: Int) in x * x })
/// ```
public struct TaskRegistry: Sendable {
    typealias Handler = @Sendable (ArraySlice<UInt8>, WorkerContext) async -> Result<[UInt8], TaskError>
    /// Runs every input of a map's chunk and appends one outcome per input to the reply.
    typealias BatchHandler =
        @Sendable ([ArraySlice<UInt8>], WorkerContext, inout BatchPayload.ReplyWriter) async -> Void

    private(set) var handlers: [String: Handler] = [:]
    private var batchHandlers: [String: BatchHandler] = [:]

    /// Creates a registry of task types.
    /// - Parameter tasks: The task types; each is registered under its ``WorkerTask/taskName``.
    public init(_ tasks: any WorkerTask.Type...) {
        for task in tasks { register(task) }
    }

    /// Registers a task type under its ``WorkerTask/taskName``.
    ///
    /// Registering a second entry under a name that is taken is a programming error and traps.
    /// - Parameter task: The task type.
    public mutating func register<Task: WorkerTask>(_ task: Task.Type) {
        let name = Task.taskName
        add(name) { input, context in
            await Self.run(name, input: input, as: Task.self, context: context) { task, context in
                try await task.run(in: context)
            }
        }
    }

    /// Registers a named function.
    /// - Parameter function: The function.
    public mutating func register<Input, Output>(_ function: TaskFunction<Input, Output>) {
        let body = function.body
        let name = function.name
        add(name) { input, context in
            await Self.run(name, input: input, as: Input.self, context: context, body)
        }
        if let synchronous = function.synchronousBody {
            // A chunk of a map runs in one loop, with no async call per input.
            batchHandlers[name] = { inputs, context, reply in
                for input in inputs {
                    reply.appendOutcome { bytes throws(TaskError) in
                        try Self.run(
                            name, input: input, into: &bytes, as: Input.self, context: context, synchronous)
                    }
                }
            }
        }
    }

    /// Whether a task or function is registered under `name`.
    /// - Parameter name: A ``WorkerTask/taskName`` or a ``TaskFunction/name``.
    /// - Returns: `true` when workers built with this registry can run it.
    public func contains(_ name: String) -> Bool {
        handlers[name] != nil
    }

    /// The registered names, sorted.
    public var names: [String] { handlers.keys.sorted() }

    /// A 64-bit FNV-1a hash of the sorted names, exchanged in the worker handshake.
    package var fingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for name in names {
            for byte in name.utf8 + [0] {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
        }
        return hash
    }

    func handler(named name: String) -> Handler? {
        handlers[name]
    }

    /// The handler that runs a whole chunk of `name`: the synchronous loop when the function has
    /// one, else one call of its handler per input.
    func batchHandler(named name: String) -> BatchHandler? {
        if let batch = batchHandlers[name] { return batch }
        guard let handler = handlers[name] else { return nil }
        return { inputs, context, reply in
            for input in inputs { reply.append(await handler(input, context)) }
        }
    }

    private mutating func add(_ name: String, _ handler: @escaping Handler) {
        precondition(handlers[name] == nil, "TaskRegistry: a task named '\(name)' is already registered")
        handlers[name] = handler
    }

    private static func run<Input: Decodable, Output: Encodable>(
        _ name: String, input: ArraySlice<UInt8>, as _: Input.Type, context: WorkerContext,
        _ body: (Input, WorkerContext) async throws -> Output
    ) async -> Result<[UInt8], TaskError> {
        await DecodeRunEncode.run(
            input, as: Input.self, { try await body($0, context) },
            undecodable: { decodingFailure(name, $0, context: context) },
            threw: { TaskError(describing: $0, context: where_(name, context)) },
            unencodable: { encodingFailure(name, $0, context: context) })
    }

    /// The synchronous form of ``run(_:input:as:context:_:)``: decode, run, and encode straight
    /// into a batch's reply. Written without generic `Result`s, whose metadata an unspecialized
    /// caller would look up per input.
    private static func run<Input: Decodable, Output: Encodable>(
        _ name: String, input: ArraySlice<UInt8>, into bytes: inout [UInt8], as _: Input.Type,
        context: WorkerContext, _ body: (Input, WorkerContext) throws -> Output
    ) throws(TaskError) {
        let decoded: Input
        do {
            decoded = try WireCodec.decode(Input.self, from: input)
        } catch {
            throw decodingFailure(name, error, context: context)
        }
        let output: Output
        do {
            output = try body(decoded, context)
        } catch {
            var failure = TaskError(describing: error, context: where_(name, context))
            failure.workerPID = context.pid
            throw failure
        }
        do {
            try WireCodec.encode(output, into: &bytes)
        } catch {
            throw encodingFailure(name, error, context: context)
        }
    }

    /// Built only when something failed: it is never needed on the path of a result.
    private static func where_(_ name: String, _ context: WorkerContext) -> String {
        "in task '\(name)' (id \(context.taskID)) on worker pid \(context.pid)"
    }

    private static func decodingFailure(_ name: String, _ error: any Error, context: WorkerContext)
        -> TaskError
    {
        var failure = TaskError(describing: error, context: where_(name, context))
        failure.message = "the worker could not decode the input of '\(name)': \(error)"
        failure.workerPID = context.pid
        return failure
    }

    private static func encodingFailure(_ name: String, _ error: any Error, context: WorkerContext)
        -> TaskError
    {
        TaskError.resultNotEncodable(
            task: name, error, location: where_(name, context), workerPID: context.pid)
    }
}

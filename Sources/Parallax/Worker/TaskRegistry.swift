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

    private(set) var handlers: [String: Handler] = [:]

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

    private mutating func add(_ name: String, _ handler: @escaping Handler) {
        precondition(handlers[name] == nil, "TaskRegistry: a task named '\(name)' is already registered")
        handlers[name] = handler
    }

    private static func run<Input: Decodable, Output: Encodable>(
        _ name: String, input: ArraySlice<UInt8>, as _: Input.Type, context: WorkerContext,
        _ body: (Input, WorkerContext) async throws -> Output
    ) async -> Result<[UInt8], TaskError> {
        // Built only when something failed: it is never needed on the path of a result.
        func where_() -> String { "in task '\(name)' (id \(context.taskID)) on worker pid \(context.pid)" }
        let decoded: Input
        do {
            decoded = try WireCodec.decode(Input.self, from: input)
        } catch {
            var failure = TaskError(describing: error, context: where_())
            failure.message = "the worker could not decode the input of '\(name)': \(error)"
            return .failure(failure)
        }
        let output: Output
        do {
            output = try await body(decoded, context)
        } catch {
            return .failure(TaskError(describing: error, context: where_()))
        }
        do {
            return .success(try WireCodec.encode(output))
        } catch {
            return .failure(
                TaskError(
                    kind: .threw, type: "Parallax.ResultEncodingError",
                    message: "the result of '\(name)' cannot be encoded: \(error)",
                    trace: "\(String(reflecting: error))\n\(where_())", workerPID: context.pid))
        }
    }
}

/// The services a pool's parent offers to the code running in its workers.
///
/// Database pools, caches and clients that hold connections stay in the parent; tasks reach them
/// through ``WorkerContext/services`` with Codable inputs and outputs. Each call runs in a task of
/// its own in the parent, so many calls from many workers are in flight at once and a slow one
/// holds up no other.
///
/// ```swift
/// var services = ServiceRegistry()
/// services.register(ResultStore.save) { row in try await database.insert(row) }
/// let pool = WorkerPool(configuration: .default, tasks: tasks, services: services)
/// ```
public struct ServiceRegistry: Sendable {
    typealias Handler = @Sendable (ArraySlice<UInt8>) async -> Result<[UInt8], ServiceError>

    private(set) var handlers: [String: Handler] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Registers the parent-side handler of a method.
    ///
    /// Registering a second handler for a name that is taken is a programming error and traps.
    /// - Parameters:
    ///   - method: The method.
    ///   - handler: Runs in the parent for every call; a thrown error reaches the caller as a
    ///     ``/ParallaxWire/ServiceError`` of kind ``/ParallaxWire/ServiceError/Kind/threw``. It is cancelled when the caller's
    ///     deadline passes, the calling task is cancelled or its worker dies.
    public mutating func register<Input, Output: Codable>(
        _ method: ServiceMethod<Input, Output>,
        _ handler: @escaping @Sendable (Input) async throws -> Output
    ) {
        let name = method.name
        precondition(handlers[name] == nil, "ServiceRegistry: a method named '\(name)' is already registered")
        handlers[name] = { input in
            await DecodeRunEncode.run(
                input, as: Input.self, handler,
                undecodable: { error in
                    ServiceError(
                        kind: .encoding, method: name,
                        message: "the parent could not decode the input of '\(name)': \(error)")
                },
                threw: { error in
                    let described = TaskError(describing: error)
                    return ServiceError(
                        kind: described.kind == .cancelled ? .cancelled : .threw, method: name,
                        type: described.type, message: described.message, code: described.code)
                },
                unencodable: { error in
                    ServiceError(
                        kind: .encoding, method: name,
                        message: "the output of '\(name)' cannot be encoded: \(error)")
                })
        }
    }

    /// Registers the parent-side handler of a method that answers nothing but success or an error.
    ///
    /// ```swift
    /// services.register(ResultStore.log) { line in logger.info("\(line)") }
    /// services.register(Quota.check) { request in
    ///     if request.bytes > limit { throw QuotaExceeded() }  // a handler that only throws
    /// }
    /// ```
    ///
    /// Registering a second handler for a name that is taken is a programming error and traps.
    /// - Parameters:
    ///   - method: The method.
    ///   - handler: Runs in the parent for every call, as for
    ///     ``register(_:_:)-(ServiceMethod<Input,Output>,_)``.
    public mutating func register<Input>(
        _ method: ServiceMethod<Input, Void>, _ handler: @escaping @Sendable (Input) async throws -> Void
    ) {
        register(ServiceMethod<Input, NoOutput>(method.name)) { input in
            try await handler(input)
            return NoOutput()
        }
    }

    /// Whether a handler is registered under `name`.
    /// - Parameter name: A ``ServiceMethod/name``.
    /// - Returns: `true` when workers can call it.
    public func contains(_ name: String) -> Bool {
        handlers[name] != nil
    }
}

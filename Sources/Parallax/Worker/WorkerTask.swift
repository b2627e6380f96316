/// A unit of work that can run in a worker process: a `Codable` value in, a `Codable` value out.
///
/// The task's stored properties are its input. They are encoded when the task is handed to
/// `go` or `submit` (the snapshot), sent to a worker, decoded there, and ``run(in:)`` is called.
/// Register the type in the ``TaskRegistry`` that both the parent and the workers use.
///
/// ```swift
/// struct CountEvents: WorkerTask {
///     var shard: Int
///     func run(in context: WorkerContext) async throws -> Int {
///         try await Database.connect().count(shard: shard)
///     }
/// }
/// ```
///
/// Closures cannot cross a process boundary in Swift: capture what the task needs as stored
/// properties, and pass the recipe for a resource (a path, a DSN), never the resource itself.
public protocol WorkerTask: Codable, Sendable {
    /// What the task returns.
    associatedtype Output: Codable & Sendable

    /// The stable name under which the task is registered and sent over the wire.
    ///
    /// Defaults to the fully qualified type name. Override it to keep a name stable across
    /// renames; it must be unique within a registry.
    static var taskName: String { get }

    /// Runs the task in a worker process.
    ///
    /// - Parameter context: The worker the task runs in.
    /// - Returns: The task's output, encoded and sent to the parent.
    /// - Throws: Any error; it reaches the caller as a ``/ParallaxWire/TaskError`` with kind
    ///   ``/ParallaxWire/TaskError/Kind/threw``, its type name, message and code.
    func run(in context: WorkerContext) async throws -> Output
}

extension WorkerTask {
    /// The fully qualified type name, such as `MyApp.CountEvents`.
    public static var taskName: String { _typeName(Self.self, qualified: true) }
}

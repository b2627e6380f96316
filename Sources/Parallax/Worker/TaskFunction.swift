/// A named function that runs in a worker process: the Swift form of php-parallax's named
/// functions and static methods.
///
/// Declare it once where both the parent and the worker see it, register it in the
/// ``TaskRegistry``, and call it by value:
///
/// ```swift
/// enum Report {
///     static func userStats(_ id: Int) async throws -> Stats { ... }
/// }
/// let userStats = TaskFunction("Report.userStats", Report.userStats)
/// let square = TaskFunction("square") { (x: Int) in x * x }
///
/// var tasks = TaskRegistry()
/// tasks.register(userStats)
/// tasks.register(square)
/// try group.go(square, 7)   // 49
/// ```
public struct TaskFunction<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The stable name the function is registered and sent under.
    public let name: String
    let body: @Sendable (Input, WorkerContext) async throws -> Output
    /// The same work without suspension points, when the function was made from a synchronous
    /// closure: a worker runs a chunk of a map through it without an async call per input.
    let synchronousBody: (@Sendable (Input, WorkerContext) throws -> Output)?

    /// Creates a function that receives the worker's context.
    /// - Parameters:
    ///   - name: A name unique within the registry, stable across builds.
    ///   - body: The work, run in a worker process.
    public init(_ name: String, _ body: @escaping @Sendable (Input, WorkerContext) async throws -> Output) {
        self.name = name
        self.body = body
        self.synchronousBody = nil
    }

    /// Creates a function from a closure or a static method that takes only its input.
    /// - Parameters:
    ///   - name: A name unique within the registry, stable across builds.
    ///   - body: The work, run in a worker process.
    public init(_ name: String, _ body: @escaping @Sendable (Input) async throws -> Output) {
        self.name = name
        self.body = { input, _ in try await body(input) }
        self.synchronousBody = nil
    }

    /// Creates a function from a synchronous closure that receives the worker's context.
    ///
    /// Work that never suspends runs cheaper this way in the chunks of
    /// ``WorkerPool/map(_:_:chunkSize:limit:timeout:)``.
    /// - Parameters:
    ///   - name: A name unique within the registry, stable across builds.
    ///   - body: The work, run in a worker process.
    public init(_ name: String, _ body: @escaping @Sendable (Input, WorkerContext) throws -> Output) {
        self.name = name
        self.body = { input, context in try body(input, context) }
        self.synchronousBody = body
    }

    /// Creates a function from a synchronous closure or static method that takes only its input.
    ///
    /// Work that never suspends runs cheaper this way in the chunks of
    /// ``WorkerPool/map(_:_:chunkSize:limit:timeout:)``.
    /// - Parameters:
    ///   - name: A name unique within the registry, stable across builds.
    ///   - body: The work, run in a worker process.
    public init(_ name: String, _ body: @escaping @Sendable (Input) throws -> Output) {
        self.name = name
        self.body = { input, _ in try body(input) }
        self.synchronousBody = { input, _ in try body(input) }
    }
}

/// A method of a service that lives in the parent, which worker code calls by value.
///
/// Declare each method once where the parent and the worker code both see it: its name is what
/// travels, its input and output types are checked by the compiler at both ends. The parent
/// registers a handler for it in a ``ServiceRegistry``; a task calls it through
/// ``WorkerContext/services``.
///
/// ```swift
/// enum ResultStore {
///     static let save = ServiceMethod<Row, Int64>("results.save")
///     static let count = ServiceMethod<String, Int>("results.count")
///     static let log = ServiceMethod<String, Void>("results.log")  // answers nothing
/// }
/// ```
///
/// The output is `Codable`, or `Void` for a method that answers nothing but success or an error.
public struct ServiceMethod<Input: Codable & Sendable, Output: Sendable>: Sendable, Hashable {
    /// The stable name the method is registered and called under.
    public let name: String

    /// Creates a method.
    /// - Parameter name: A name unique among the pool's services, stable across builds.
    public init(_ name: String) {
        self.name = name
    }
}

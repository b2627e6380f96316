/// Thrown by `go` when a task's input cannot be snapshotted for the trip to a worker.
///
/// The input is encoded inside `go`, so the task sees exactly the value it had then; a value
/// that cannot be encoded (a live resource, a float the coder rejects) fails here, at the call
/// site, and no worker ever sees it.
///
/// ```swift
/// do {
///     try group.go(Upload(handle: openFile))
/// } catch let error as CaptureError {
///     print(error.message)   // pass the recipe (a path), not the resource
/// }
/// ```
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    /// The registered name of the task whose input failed to encode.
    public var taskName: String
    /// What went wrong, for a person.
    public var message: String
    /// The encoder's error.
    public var underlying: any Error

    @usableFromInline
    package init(taskName: String, underlying: any Error) {
        self.taskName = taskName
        self.underlying = underlying
        self.message =
            "the input of task '\(taskName)' cannot cross the process boundary: \(underlying)"
    }

    /// The message.
    public var description: String { "CaptureError: \(message)" }
}

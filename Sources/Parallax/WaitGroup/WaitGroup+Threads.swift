extension WaitGroup where Isolation == ThreadIsolation {
    /// Creates a group whose tasks each run on a dedicated OS thread.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - isolation: `.threads` or `.threads(maximum:)`.
    ///   - limit: How many tasks run at once; at most the isolation's thread bound.
    public convenience init(of type: Value.Type = Value.self, isolation: Isolation, limit: Int? = nil) {
        self.init(isolation: isolation, limit: min(limit ?? Int.max, isolation.maximumThreads))
    }

    /// Runs `body` on a dedicated OS thread and returns at once.
    ///
    /// For blocking code (file I/O, a C library, `sleep`) that must not occupy Swift's
    /// cooperative threads. A thread cannot be cancelled: cancelling the group answers only the
    /// tasks that have not started.
    /// - Parameter body: The blocking work.
    public func go(_ body: @escaping @Sendable () throws -> Value) {
        spawn { [self] slot in
            OSThread.detach(name: "px-wg-\(slot)") {
                let result: Result<Value, TaskError>
                do {
                    result = .success(try body())
                } catch {
                    result = .failure(TaskError(describing: error))
                }
                self.complete(slot, result)
            }
        }
    }
}

extension WaitGroup where Isolation == InProcessIsolation {
    /// Creates a group whose tasks run as Swift tasks in this process.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - isolation: `.inProcess`, the default.
    ///   - limit: How many tasks run at once; unlimited by default.
    public convenience init(
        of type: Value.Type = Value.self, isolation: Isolation = .inProcess, limit: Int? = nil
    ) {
        self.init(isolation: isolation, limit: limit ?? Int.max)
    }

    /// Starts `body` as a Swift task and returns at once.
    ///
    /// The closure is `@Sendable`: it can capture only values the compiler knows are safe to
    /// share, and a captured `var` must be listed (`[x]`), which copies it now: the snapshot rule.
    /// An error it throws fills its slot; it never reaches the other slots.
    ///
    /// ```swift
    /// var counter = 0
    /// group.go { [counter] in counter + 1 }   // sees 0, whatever happens to counter later
    /// ```
    /// - Parameter body: The work.
    @inlinable public func go(_ body: @escaping @Sendable () async throws -> Value) {
        // The starter closure is made only for a task that waits for room under the limit. The
        // task is created outside the lock: it may start at once, and its end takes the lock.
        let (slot, startNow) = state.withLock { state in
            state.add { { [self] slot in self.start(slot, body) } }
        }
        if startNow { start(slot, body) }
    }

    @inlinable func start(_ slot: Int, _ body: @escaping @Sendable () async throws -> Value) {
        let task = makeTask(slot, body)
        state.withLock { $0.setCanceller(.task(task), for: slot) }
    }

    @inlinable func makeTask(_ slot: Int, _ body: @escaping @Sendable () async throws -> Value) -> Task<
        Void, Never
    > {
        Task { [self] in
            let result: Result<Value, TaskError>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(TaskError(describing: error))
            }
            self.complete(slot, result)
        }
    }
}

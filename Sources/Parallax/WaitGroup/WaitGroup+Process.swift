extension WaitGroup where Isolation == ProcessIsolation {
    /// Creates a group whose tasks run in the worker processes of a pool.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - isolation: `.process(pool)`.
    ///   - limit: How many of this group's tasks are handed to the pool at once; unlimited by
    ///     default (the pool's workers bound the parallelism).
    public convenience init(of type: Value.Type = Value.self, isolation: Isolation, limit: Int? = nil) {
        self.init(isolation: isolation, limit: limit ?? Int.max)
    }

    /// Sends a task to a worker process and returns at once.
    ///
    /// The task is encoded here: that is the snapshot the worker sees, whatever happens to the
    /// caller's variables afterwards.
    ///
    /// - Parameters:
    ///   - task: The task.
    ///   - timeout: The task's time limit, or the pool's default.
    ///   - retry: Whether a failed task runs again; never by default.
    /// - Throws: ``SpawnError`` when the task type is not registered, its input cannot be encoded
    ///   or is over the payload limit. Nothing reaches a worker then, and ``count`` does not
    ///   change.
    @inlinable public func go<Task: WorkerTask>(
        _ task: Task, timeout: Duration? = nil, retry: RetryPolicy = .never
    )
        throws
    where Task.Output == Value {
        submit(try isolation.pool.encode(task), timeout: timeout, retry: retry)
    }

    /// Sends a registered function call to a worker process and returns at once.
    ///
    /// - Parameters:
    ///   - function: The registered function.
    ///   - input: Its input, encoded here.
    ///   - timeout: The task's time limit, or the pool's default.
    ///   - retry: Whether a failed call runs again; never by default.
    /// - Throws: ``SpawnError``, as for ``go(_:timeout:retry:)-(Task,_,_)``.
    @inlinable public func go<Input>(
        _ function: TaskFunction<Input, Value>, _ input: Input, timeout: Duration? = nil,
        retry: RetryPolicy = .never
    ) throws {
        submit(try isolation.pool.encode(function, input), timeout: timeout, retry: retry)
    }

    /// Adds a slot for the task and sends it, or queues it under the group's limit. A task sent at
    /// once gets its slot and its canceller in one lock round, and needs no starter closure.
    @inlinable func submit(_ task: WorkerPool.EncodedTask, timeout: Duration?, retry: RetryPolicy)
    where Value: Decodable {
        let pool = isolation.pool
        let id = pool.makeJobID()
        let (slot, startNow) = state.withLock { state in
            state.add(canceller: .job(pool, id)) {
                { [self] slot in self.attempt(task, timeout: timeout, retry: retry, slot: slot, attempt: 1) }
            }
        }
        if startNow { send(task, id: id, timeout: timeout, retry: retry, slot: slot, attempt: 1) }
    }

    /// Sends one attempt of the task in `slot`; a retryable failure sends another.
    @inlinable func attempt(
        _ task: WorkerPool.EncodedTask, timeout: Duration?, retry: RetryPolicy, slot: Int, attempt: Int
    ) where Value: Decodable {
        let pool = isolation.pool
        let id = pool.makeJobID()
        setCanceller(slot, .job(pool, id))
        send(task, id: id, timeout: timeout, retry: retry, slot: slot, attempt: attempt)
    }

    /// Hands an attempt whose canceller is set to the pool.
    @inlinable func send(
        _ task: WorkerPool.EncodedTask, id: UInt64, timeout: Duration?, retry: RetryPolicy, slot: Int,
        attempt: Int
    ) where Value: Decodable {
        isolation.pool.enqueueRun(id: id, task: task, timeout: timeout) { outcome in
            if case .failure(let error) = outcome, retry.retries(error, after: attempt) {
                task.trace?.retrying(after: error, attempt: attempt)
                self.attempt(task, timeout: timeout, retry: retry, slot: slot, attempt: attempt + 1)
                return
            }
            task.trace?.finish(outcome, attempts: attempt)
            self.complete(
                slot,
                outcome.flatMap { bytes in
                    Result { () throws(TaskError) in
                        try WorkerPool.decodeOutput(Value.self, from: bytes, name: task.name)
                    }
                })
        }
    }
}

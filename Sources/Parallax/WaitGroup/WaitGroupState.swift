/// The bookkeeping of a ``WaitGroup``: slots, the concurrency limit, and waiters. Pure; the
/// group holds it under a lock and runs the returned starters and continuations outside it.
@usableFromInline
struct WaitGroupState<Value: Sendable> {
    /// Starts the work of the slot it is given.
    @usableFromInline typealias Starter = @Sendable (Int) -> Void

    @usableFromInline var results: [TaskResult<Value>?] = []
    /// How to cancel each running slot, by slot index; nil once the slot has its result.
    @usableFromInline var cancellers: [Canceller?] = []
    @usableFromInline var waiting = FIFOQueue<(index: Int, start: Starter)>()
    @usableFromInline var running = 0
    @usableFromInline var finished = 0
    @usableFromInline var waiters: [CheckedContinuation<[TaskResult<Value>], Never>] = []
    @usableFromInline let limit: Int

    @usableFromInline init(limit: Int) {
        self.limit = limit
    }

    @inlinable var count: Int { results.count }
    @inlinable var isComplete: Bool { finished == results.count }

    /// Adds a slot. Returns its index and whether it starts now; a slot that waits for room under
    /// the limit keeps the starter `makeStart` builds. `canceller` cancels a slot that starts now.
    @inlinable mutating func add(canceller: Canceller? = nil, start makeStart: () -> Starter) -> (
        index: Int, startNow: Bool
    ) {
        let index = results.count
        results.append(nil)
        if running < limit {
            running += 1
            cancellers.append(canceller)
            return (index, true)
        }
        cancellers.append(nil)
        waiting.append((index, makeStart()))  // only a task that waits for room needs its starter
        return (index, false)
    }

    @inlinable mutating func setCanceller(_ cancel: Canceller, for index: Int) {
        if results[index] == nil { cancellers[index] = cancel }
    }

    /// Records a result. Returns the next starter to run and the waiters to resume.
    @inlinable mutating func complete(
        _ index: Int, _ result: TaskResult<Value>
    ) -> (next: (index: Int, start: Starter)?, resume: [CheckedContinuation<[TaskResult<Value>], Never>]) {
        guard results[index] == nil else { return (nil, []) }
        results[index] = result
        cancellers[index] = nil
        finished += 1
        running -= 1
        var next: (index: Int, start: Starter)?
        if let waiter = waiting.popFirst() {
            running += 1
            next = waiter
        }
        guard isComplete else { return (next, []) }
        defer { waiters = [] }
        return (next, waiters)
    }

    /// Returns the results when every slot has one; otherwise keeps the continuation.
    @inlinable mutating func wait(_ continuation: CheckedContinuation<[TaskResult<Value>], Never>)
        -> [TaskResult<
            Value
        >]?
    {
        guard isComplete else {
            waiters.append(continuation)
            return nil
        }
        return completedResults
    }

    @inlinable var completedResults: [TaskResult<Value>] { results.map { $0! } }

    /// Answers the slots that have not started with `cancelled` and returns the cancellers of the
    /// running ones, with the waiters to resume if that completed the group.
    @inlinable mutating func cancelAll(
        _ cancelled: TaskResult<Value>
    ) -> (cancellers: [Canceller], resume: [CheckedContinuation<[TaskResult<Value>], Never>]) {
        for waiter in waiting.removeAll() {
            results[waiter.index] = cancelled
            finished += 1
        }
        let running = cancellers.compactMap { $0 }
        guard isComplete else { return (running, []) }
        defer { waiters = [] }
        return (running, waiters)
    }
}

import Dispatch

/// The deadlines of the tasks running in a pool's workers, at most one per worker slot, behind a
/// single dispatch timer armed for the earliest.
///
/// A timer per task would hold each task (its payload and completion) until the timer fired, long
/// after the task ended: memory in proportion to throughput times timeout. Here a slot's entry is
/// replaced when its next task starts, so the cost is one entry per worker. An entry whose task
/// has finished fires harmlessly: the handler checks with the pool's state that the task is still
/// the one running.
///
/// Entries are ordered by the slot's process generation and its count of started tasks, both
/// taken under the pool's lock when the task starts: an entry older than the newest one a slot
/// has seen is dropped, so a deadline set late (its thread was descheduled after the task was
/// assigned) can never replace the deadline of the task that runs now.
final class SlotDeadlines: @unchecked Sendable {
    struct Entry: Sendable {
        var deadline: ContinuousClock.Instant
        var jobID: UInt64
        var generation: UInt64
        /// The slot's count of started tasks when this one started.
        var start: UInt64
        var timeout: Duration
    }

    private struct State {
        var entries: [Entry?]
        /// The generation and start count of the newest entry each slot was given.
        var newest: [(generation: UInt64, start: UInt64)]
        /// The deadline the timer is armed for, if any.
        var armed: ContinuousClock.Instant?
        var onExpire: (@Sendable (Entry) -> Void)?
    }

    private let state: Locked<State>
    // Safe to use from any thread: dispatch sources are thread-safe, and every use is under `state`.
    private let timer: any DispatchSourceTimer

    init(slots: Int) {
        state = Locked(
            State(
                entries: Array(repeating: nil, count: slots), newest: Array(repeating: (0, 0), count: slots)))
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.setEventHandler { [weak self] in self?.fire() }
        timer.activate()
    }

    deinit {
        timer.cancel()
    }

    /// Starts calling `onExpire` for every deadline that passes, until ``stop()``.
    func start(onExpire: @escaping @Sendable (Entry) -> Void) {
        state.withLock { $0.onExpire = onExpire }
    }

    /// Drops the entries and the handler; nothing expires after it returns.
    func stop() {
        state.withLock { state in
            state.onExpire = nil
            state.entries = Array(repeating: nil, count: state.entries.count)
            state.armed = nil
            timer.schedule(deadline: .distantFuture)
        }
    }

    /// Sets the deadline of the task that starts running in `slot`, replacing the slot's last,
    /// unless the slot was given a newer entry already.
    /// - Returns: Whether the entry was taken.
    @discardableResult
    func set(slot: Int, _ entry: Entry) -> Bool {
        state.withLock { state in
            guard (entry.generation, entry.start) >= state.newest[slot] else { return false }
            state.newest[slot] = (entry.generation, entry.start)
            state.entries[slot] = entry
            if state.armed.map({ $0 > entry.deadline }) ?? true { arm(for: entry.deadline, &state) }
            return true
        }
    }

    /// The deadline of the task running in `slot`, if one is set and has not fired.
    func entry(slot: Int) -> Entry? {
        state.withLock { $0.entries[slot] }
    }

    private func fire() {
        let now = ContinuousClock.now
        let (due, onExpire) = state.withLock { state -> ([Entry], (@Sendable (Entry) -> Void)?) in
            var due: [Entry] = []
            var next: ContinuousClock.Instant?
            for slot in state.entries.indices {
                guard let entry = state.entries[slot] else { continue }
                if entry.deadline <= now {
                    due.append(entry)
                    state.entries[slot] = nil
                } else if next.map({ entry.deadline < $0 }) ?? true {
                    next = entry.deadline
                }
            }
            state.armed = nil
            if let next { arm(for: next, &state) }
            return (due, state.onExpire)
        }
        guard let onExpire else { return }
        for entry in due { onExpire(entry) }
    }

    private func arm(for deadline: ContinuousClock.Instant, _ state: inout State) {
        state.armed = deadline
        let wait = max(.zero, deadline - .now)
        timer.schedule(deadline: .now() + wait.timeInterval, leeway: .milliseconds(1))
    }
}

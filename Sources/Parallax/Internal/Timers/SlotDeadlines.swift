/// The deadlines of the tasks running in a pool's workers, at most one per worker slot, behind a
/// single timer of the pool's ``TimerService``, set for the earliest.
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
final class SlotDeadlines: Sendable {
    struct Entry: Sendable {
        var jobID: UInt64
        var generation: UInt64
        /// The slot's count of started tasks when this one started.
        var start: UInt64
        var timeout: Duration
    }

    private struct State: Sendable {
        /// Each slot's entry and its deadline on the timer clock.
        var entries: [(entry: Entry, deadline: Duration)?]
        /// The generation and start count of the newest entry each slot was given.
        var newest: [(generation: UInt64, start: UInt64)]
        /// The timer set for the earliest deadline, and that deadline.
        var armed: (timer: TimerService.Timer, deadline: Duration)?
        var onExpire: (@Sendable (Entry) -> Void)?
    }

    private let state: Locked<State>
    private let timers: TimerService

    init(slots: Int, timers: TimerService) {
        self.timers = timers
        state = Locked(
            State(
                entries: Array(repeating: nil, count: slots), newest: Array(repeating: (0, 0), count: slots)))
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
            if let armed = state.armed { timers.cancel(armed.timer) }
            state.armed = nil
        }
    }

    /// Sets the deadline of the task that starts running in `slot` now, replacing the slot's last,
    /// unless the slot was given a newer entry already.
    /// - Returns: Whether the entry was taken.
    @discardableResult
    func set(slot: Int, _ entry: Entry) -> Bool {
        let deadline = timers.clock.now + entry.timeout
        return state.withLock { state in
            guard (entry.generation, entry.start) >= state.newest[slot] else { return false }
            state.newest[slot] = (entry.generation, entry.start)
            state.entries[slot] = (entry, deadline)
            if state.armed.map({ $0.deadline > deadline }) ?? true { arm(for: deadline, &state) }
            return true
        }
    }

    /// The deadline of the task running in `slot`, if one is set and has not fired.
    func entry(slot: Int) -> Entry? {
        state.withLock { $0.entries[slot]?.entry }
    }

    private func fire() {
        let now = timers.clock.now
        let (due, onExpire) = state.withLock { state -> ([Entry], (@Sendable (Entry) -> Void)?) in
            var due: [Entry] = []
            var next: Duration?
            for slot in state.entries.indices {
                guard let (entry, deadline) = state.entries[slot] else { continue }
                if deadline <= now {
                    due.append(entry)
                    state.entries[slot] = nil
                } else if next.map({ deadline < $0 }) ?? true {
                    next = deadline
                }
            }
            state.armed = nil
            if let next { arm(for: next, &state) }
            return (due, state.onExpire)
        }
        guard let onExpire else { return }
        for entry in due { onExpire(entry) }
    }

    /// Sets the one timer for `deadline`, replacing the one set before. The timer service's lock
    /// is taken inside this one's, never the other way round: its actions run outside its lock.
    private func arm(for deadline: Duration, _ state: inout State) {
        if let armed = state.armed { timers.cancel(armed.timer) }
        let timer = timers.schedule(at: deadline) { [weak self] in self?.fire() }
        state.armed = (timer, deadline)
    }
}

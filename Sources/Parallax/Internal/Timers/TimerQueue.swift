/// The pending timers of a ``TimerService`` as a pure value: each has a deadline and an id, and
/// the earliest comes first (the lower id among equal deadlines, so timers set for the same time
/// fire in the order they were set).
///
/// A binary heap with an index of positions, so a timer is cancelled in place: a cancelled
/// timer leaves nothing behind.
package struct TimerQueue<Action>: Sendable where Action: Sendable {
    private struct Entry: Sendable {
        var deadline: Duration
        var id: UInt64
        var action: Action

        func precedes(_ other: Entry) -> Bool {
            (deadline, id) < (other.deadline, other.id)
        }
    }

    private var heap: [Entry] = []
    private var positions: [UInt64: Int] = [:]
    private var nextID: UInt64 = 1

    package init() {}

    /// How many timers are pending.
    package var count: Int { heap.count }

    /// The deadline of the earliest pending timer.
    package var nextDeadline: Duration? { heap.first?.deadline }

    /// The deadlines of the pending timers, earliest first.
    package var deadlines: [Duration] { heap.map(\.deadline).sorted() }

    /// Adds a timer; returns its id, for ``cancel(_:)``.
    package mutating func schedule(at deadline: Duration, _ action: Action) -> UInt64 {
        let id = nextID
        nextID &+= 1
        heap.append(Entry(deadline: deadline, id: id, action: action))
        positions[id] = heap.count - 1
        siftUp(heap.count - 1)
        return id
    }

    /// Removes a pending timer; returns whether it was pending.
    @discardableResult
    package mutating func cancel(_ id: UInt64) -> Bool {
        guard let index = positions.removeValue(forKey: id) else { return false }
        let last = heap.count - 1
        if index != last {
            heap.swapAt(index, last)
            positions[heap[index].id] = index
        }
        heap.removeLast()
        if index < heap.count {
            siftDown(index)
            siftUp(index)
        }
        return true
    }

    /// Removes and returns the actions of the timers due at `now`, earliest first.
    package mutating func popDue(now: Duration) -> [Action] {
        var due: [Action] = []
        while let first = heap.first, first.deadline <= now {
            due.append(first.action)
            cancel(first.id)
        }
        return due
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            swapEntries(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count, heap[left].precedes(heap[first]) { first = left }
            if right < heap.count, heap[right].precedes(heap[first]) { first = right }
            guard first != parent else { return }
            swapEntries(parent, first)
            parent = first
        }
    }

    private mutating func swapEntries(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        positions[heap[a].id] = a
        positions[heap[b].id] = b
    }
}

/// A first-in first-out queue with amortised O(1) push and pop.
@usableFromInline
package struct FIFOQueue<Element> {
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0

    @inlinable package init() {}

    @inlinable package var count: Int { storage.count - head }

    /// The element that ``popFirst()`` would return.
    @inlinable package var first: Element? { head < storage.count ? storage[head] : nil }
    @inlinable package var isEmpty: Bool { count == 0 }

    @inlinable package mutating func append(_ element: Element) {
        storage.append(element)
    }

    /// Puts an element back at the front, to be popped next.
    package mutating func prepend(_ element: Element) {
        if head > 0 {
            head -= 1
            storage[head] = element
        } else {
            storage.insert(element, at: 0)
        }
    }

    @inlinable package mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head > 32, head * 2 >= storage.count {
            storage.removeSubrange(0..<head)
            head = 0
        }
        return element
    }

    /// Removes and returns every element that matches, keeping the order of the rest.
    @inlinable package mutating func removeAll(where shouldRemove: (Element) -> Bool) -> [Element] {
        var removed: [Element] = []
        var kept: [Element?] = []
        kept.reserveCapacity(count)
        for index in head..<storage.count {
            guard let element = storage[index] else { continue }
            if shouldRemove(element) { removed.append(element) } else { kept.append(element) }
        }
        storage = kept
        head = 0
        return removed
    }

    /// Removes and returns every element.
    @inlinable package mutating func removeAll() -> [Element] {
        removeAll { _ in true }
    }
}

extension FIFOQueue: Sendable where Element: Sendable {}

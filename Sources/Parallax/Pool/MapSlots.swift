/// The results of a `map` as they are written: each chunk initializes its own slots, from
/// whichever thread completed it, and the run reads them all after the last.
@usableFromInline
struct MapSlots<Element>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>

    @inlinable
    init(capacity: Int) {
        base = .allocate(capacity: capacity)
    }
}

/// The entries of a keyed container, and where the next lookup starts: synthesized `init(from:)`
/// asks for keys in encoding order, so most lookups match at the first comparison. Not nested in
/// the generic container, whose every instantiation would otherwise need metadata of its own.
///
/// The decoder of a value is an index itself (``BinaryDecodingState`` inherits from this), so the
/// container of a value's own keys allocates nothing more; the first four entries are stored
/// inline.
class BinaryKeyIndex {
    struct Entry {
        var keyOffset = 0
        var keyLength = 0
        var valueOffset = 0
    }

    @exclusivity(unchecked) final private(set) var count = 0
    @exclusivity(unchecked) final var hint = 0
    @exclusivity(unchecked) final private var inline = (Entry(), Entry(), Entry(), Entry())
    @exclusivity(unchecked) final private var overflow: [Entry] = []

    init() {}

    final func removeAll() {
        count = 0
        hint = 0
        if !overflow.isEmpty { overflow.removeAll(keepingCapacity: true) }
    }

    final func append(_ entry: Entry) {
        if count < 4 {
            withUnsafeMutableBytes(of: &inline) { $0.bindMemory(to: Entry.self)[count] = entry }
        } else {
            overflow.append(entry)
        }
        count += 1
    }

    final subscript(position: Int) -> Entry {
        if position < 4 {
            return withUnsafeBytes(of: inline) { $0.bindMemory(to: Entry.self)[position] }
        }
        return overflow[position - 4]
    }
}

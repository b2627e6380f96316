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

struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    typealias Entry = BinaryKeyIndex.Entry

    let input: BinaryInput
    let codingPath: [any CodingKey]
    private let index: BinaryKeyIndex

    /// Reads the entries of the keyed value at `offset` into `index`.
    init(
        input: BinaryInput, offset: Int, codingPath: [any CodingKey], index: BinaryKeyIndex = BinaryKeyIndex()
    )
        throws
    {
        self.input = input
        self.codingPath = codingPath
        self.index = index
        let tag = try input.tag(at: offset, codingPath)
        guard tag == .keyed else { throw BinaryScalarDecode.mismatch([String: Any].self, tag, codingPath) }
        let end = try input.end(ofValueAt: offset, codingPath)
        let count = try input.length(at: offset + BinaryTag.lengthPrefixedHeaderSize, codingPath)
        index.removeAll()
        var cursor = offset + BinaryTag.tagSize + BinaryTag.compositeHeaderSize
        for _ in 0..<count {
            let (keyOffset, keyLength) = try input.span(at: cursor, codingPath)
            let valueOffset = keyOffset + keyLength
            cursor = try input.end(ofValueAt: valueOffset, codingPath)
            guard cursor <= end else {
                throw input.corrupted(codingPath, "a keyed value runs past its container")
            }
            index.append(Entry(keyOffset: keyOffset, keyLength: keyLength, valueOffset: valueOffset))
        }
        guard cursor == end else {
            throw input.corrupted(codingPath, "a keyed container's length does not match its values")
        }
    }

    var allKeys: [Key] {
        (0..<index.count).compactMap { position in
            let entry = index[position]
            return (try? input.string(start: entry.keyOffset, count: entry.keyLength, codingPath)).flatMap(
                Key.init(stringValue:))
        }
    }

    func contains(_ key: Key) -> Bool {
        find(key) != nil
    }

    private func find(_ key: Key) -> Int? {
        find(name: key.stringValue)
    }

    private func find(name: String) -> Int? {
        let count = index.count
        for step in 0..<count {
            let entry = index[(index.hint + step) % count]
            if input.keyMatches(at: entry.keyOffset, length: entry.keyLength, name) {
                return entry.valueOffset
            }
        }
        return nil
    }

    private func offset(for key: Key) throws -> Int {
        let name = key.stringValue
        let count = index.count
        for step in 0..<count {
            let position = (index.hint + step) % count
            let entry = index[position]
            if input.keyMatches(at: entry.keyOffset, length: entry.keyLength, name) {
                index.hint = position + 1
                return entry.valueOffset
            }
        }
        throw DecodingError.keyNotFound(
            key, DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key '\(name)'")
        )
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let offset = find(key) else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
        }
        return try BinaryScalarDecode.isNil(input, offset, codingPath + [key])
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try BinaryScalarDecode.bool(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try BinaryScalarDecode.string(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try BinaryScalarDecode.double(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try BinaryScalarDecode.float(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }

    @inline(__always)
    private func integer<I: FixedWidthInteger>(_ type: I.Type, _ key: Key) throws -> I {
        try BinaryScalarDecode.integer(I.self, input, try offset(for: key), codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try BinaryDecodingState.decode(
            T.self, input: input, at: try offset(for: key), codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(
            try BinaryKeyedDecodingContainer<NestedKey>(
                input: input, offset: try offset(for: key), codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecodingContainer(
            input: input, offset: try offset(for: key), codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        guard let offset = find(name: BinarySuperKey.name) else {
            throw DecodingError.keyNotFound(
                BinarySuperKey(),
                DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key 'super'"))
        }
        return BinaryDecodingState(input: input, offset: offset, codingPath: codingPath + [BinarySuperKey()])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        BinaryDecodingState(input: input, offset: try offset(for: key), codingPath: codingPath + [key])
    }
}

struct BinaryUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let input: BinaryInput
    let codingPath: [any CodingKey]
    let count: Int?
    private(set) var currentIndex = 0
    private var cursor: Int
    private let end: Int
    /// Set for the packed arrays of the encoder's fast path: the scalar tag of every element.
    private let packed: BinaryTag?

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) throws {
        self.input = input
        self.codingPath = codingPath
        let tag = try input.tag(at: offset, codingPath)
        end = try input.end(ofValueAt: offset, codingPath)
        switch tag {
        case .unkeyed:
            count = try input.length(at: offset + BinaryTag.lengthPrefixedHeaderSize, codingPath)
            cursor = offset + BinaryTag.tagSize + BinaryTag.compositeHeaderSize
            packed = nil
        case .bytes:
            count = try input.length(at: offset + BinaryTag.tagSize, codingPath)
            cursor = offset + BinaryTag.lengthPrefixedHeaderSize
            packed = .uint
        case .doubles, .ints:
            count = try input.length(at: offset + BinaryTag.tagSize, codingPath)
            cursor = offset + BinaryTag.lengthPrefixedHeaderSize
            packed = tag == .doubles ? .double : .int
        default:
            throw BinaryScalarDecode.mismatch([Any].self, tag, codingPath)
        }
    }

    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    private var path: [any CodingKey] { codingPath + [BinaryIndexKey(index: currentIndex)] }

    /// The offset of the next element, advancing past it.
    private mutating func next(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: path, debugDescription: "the unkeyed container is at its end"))
        }
        let offset = cursor
        cursor = packed == nil ? try input.end(ofValueAt: offset, path) : offset + (packed == .uint ? 1 : 8)
        guard cursor <= end else { throw input.corrupted(path, "an element runs past its container") }
        currentIndex += 1
        return offset
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, packed == nil else { return false }
        if try BinaryScalarDecode.isNil(input, cursor, path) {
            _ = try next(Never.self)
            return true
        }
        return false
    }

    private mutating func packedInteger<I: FixedWidthInteger>(_: I.Type) throws -> I? {
        guard let packed else { return nil }
        let offset = try next(I.self)
        let converted: I?
        switch packed {
        case .uint: converted = I(exactly: input.bytes[offset])
        case .int: converted = I(exactly: try input.load(Int64.self, at: offset, path))
        default: throw BinaryScalarDecode.mismatch(I.self, packed, path)
        }
        guard let converted else { throw input.corrupted(path, "the number does not fit in \(I.self)") }
        return converted
    }

    @inline(__always)
    private mutating func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        if let value = try packedInteger(I.self) { return value }
        let offset = try next(I.self)
        return try BinaryScalarDecode.integer(I.self, input, offset, codingPath)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try requireTagged(type)
        return try BinaryScalarDecode.bool(input, try next(type), codingPath)
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try requireTagged(type)
        return try BinaryScalarDecode.string(input, try next(type), codingPath)
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        if packed == .double {
            return Double(bitPattern: try input.load(UInt64.self, at: try next(type), path))
        }
        try requireTagged(type)
        return try BinaryScalarDecode.double(input, try next(type), codingPath)
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        Float(try decode(Double.self))
    }

    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try requireTagged(type)
        let elementPath = path
        return try BinaryDecodingState.decode(
            T.self, input: input, at: try next(type), codingPath: elementPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try requireTagged(type)
        let elementPath = path
        return KeyedDecodingContainer(
            try BinaryKeyedDecodingContainer<NestedKey>(
                input: input, offset: try next(type), codingPath: elementPath))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try requireTagged([Any].self)
        let elementPath = path
        return try BinaryUnkeyedDecodingContainer(
            input: input, offset: try next([Any].self), codingPath: elementPath)
    }

    mutating func superDecoder() throws -> any Decoder {
        try requireTagged(Any.self)
        let elementPath = path
        return BinaryDecodingState(input: input, offset: try next(Any.self), codingPath: elementPath)
    }

    /// Packed arrays hold numbers only.
    private func requireTagged(_ type: Any.Type) throws {
        if let packed { throw BinaryScalarDecode.mismatch(type, packed, path) }
    }
}

struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let input: BinaryInput
    let offset: Int
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { (try? BinaryScalarDecode.isNil(input, offset, codingPath)) ?? false }
    func decode(_ type: Bool.Type) throws -> Bool { try BinaryScalarDecode.bool(input, offset, codingPath) }
    func decode(_ type: String.Type) throws -> String {
        try BinaryScalarDecode.string(input, offset, codingPath)
    }
    func decode(_ type: Double.Type) throws -> Double {
        try BinaryScalarDecode.double(input, offset, codingPath)
    }
    func decode(_ type: Float.Type) throws -> Float {
        try BinaryScalarDecode.float(input, offset, codingPath)
    }
    func decode(_ type: Int.Type) throws -> Int {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int8.Type) throws -> Int8 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int16.Type) throws -> Int16 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int32.Type) throws -> Int32 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int64.Type) throws -> Int64 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt.Type) throws -> UInt {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt8.Type) throws -> UInt8 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt16.Type) throws -> UInt16 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt32.Type) throws -> UInt32 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt64.Type) throws -> UInt64 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecodingState.decode(T.self, input: input, at: offset, codingPath: codingPath)
    }
}

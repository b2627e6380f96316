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

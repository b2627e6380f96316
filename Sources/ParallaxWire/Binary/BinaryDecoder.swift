/// Decodes values written by ``BinaryEncoder``.
@usableFromInline
package enum BinaryDecoder {
    /// Decodes a value of type `T`.
    /// - Throws: `DecodingError` for input that is truncated, malformed, nested too deeply, of
    ///   another shape than `T`, or followed by trailing bytes.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: bytes[...])
    }

    /// Decodes a value of type `T` from a slice, without copying it.
    /// - Throws: `DecodingError`, as ``decode(_:from:)-(_,[UInt8])``.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        try bytes.withUnsafeBytes { raw in try decode(T.self, from: raw) }
    }

    /// Decodes a value of type `T` from raw bytes that stay valid for the call.
    /// - Throws: `DecodingError`, as ``decode(_:from:)-(_,[UInt8])``.
    @usableFromInline
    package static func decode<T: Decodable>(_ type: T.Type, from raw: UnsafeRawBufferPointer) throws -> T {
        let input = BinaryInput(bytes: raw)
        let end = try input.end(ofValueAt: 0, [])
        guard end == raw.count else {
            throw input.corrupted([], "\(raw.count - end) trailing bytes after the value")
        }
        return try BinaryDecodingState.decode(T.self, input: input, at: 0, codingPath: [])
    }
}

/// The `Decoder` handed to a value's `init(from:)`: the value that starts at `offset`. It is the
/// key index of the value's keyed container too, which then needs no allocation of its own.
final class BinaryDecodingState: BinaryKeyIndex, Decoder {
    let input: BinaryInput
    let offset: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) {
        self.input = input
        self.offset = offset
        self.codingPath = codingPath
    }

    static func decode<T: Decodable>(
        _ type: T.Type, input: BinaryInput, at offset: Int, codingPath: [any CodingKey]
    ) throws -> T {
        try BinaryFastDecode.decode(T.self, input: input, at: offset, codingPath) {
            guard codingPath.count < BinaryInput.maximumDepth else {
                throw input.corrupted(
                    codingPath, "values nest deeper than \(BinaryInput.maximumDepth) levels")
            }
            return try T(from: BinaryDecodingState(input: input, offset: offset, codingPath: codingPath))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(
            try BinaryKeyedDecodingContainer<Key>(
                input: input, offset: offset, codingPath: codingPath, index: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecodingContainer(input: input, offset: offset, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(input: input, offset: offset, codingPath: codingPath)
    }
}

/// Decoding of raw arrays written by the encoder's fast path.
///
/// The checks compare metatypes first, so the casts are exact: `unsafeBitCast` then avoids the
/// element-by-element work a dynamic `as?` cast of an array may do.
enum BinaryFastDecode {
    /// Decodes the types with a fast path, and calls `otherwise` for the rest. Answering `T`
    /// rather than `T?` matters: an unspecialized caller would look up `Optional<T>`'s metadata on
    /// every value.
    static func decode<T>(
        _: T.Type, input: BinaryInput, at offset: Int, _ path: @autoclosure () -> [any CodingKey],
        otherwise: () throws -> T
    ) throws -> T {
        // Common scalars: read directly, without a decoder object.
        if T.self == Int.self {
            return unsafeBitCast(try BinaryScalarDecode.integer(Int.self, input, offset, path()), to: T.self)
        }
        if T.self == String.self {
            return unsafeBitCast(try BinaryScalarDecode.string(input, offset, path()), to: T.self)
        }
        if T.self == Double.self {
            return unsafeBitCast(try BinaryScalarDecode.double(input, offset, path()), to: T.self)
        }
        if T.self == Bool.self {
            return unsafeBitCast(try BinaryScalarDecode.bool(input, offset, path()), to: T.self)
        }
        if T.self == [UInt8].self, try input.tag(at: offset, path()) == .bytes {
            return unsafeBitCast(try packed(UInt8.self, input, offset, path()), to: T.self)
        }
        if T.self == [Double].self, try input.tag(at: offset, path()) == .doubles {
            return unsafeBitCast(try packed(Double.self, input, offset, path()), to: T.self)
        }
        if T.self == [Int].self, MemoryLayout<Int>.size == 8, try input.tag(at: offset, path()) == .ints {
            return unsafeBitCast(try packed(Int.self, input, offset, path()), to: T.self)
        }
        return try otherwise()
    }

    private static func packed<Element>(
        _: Element.Type, _ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]
    ) throws -> [Element] {
        let count = try input.length(at: offset + BinaryTag.tagSize, path())
        let end = try input.end(ofValueAt: offset, path())
        let raw = UnsafeRawBufferPointer(
            rebasing: input.bytes[(offset + BinaryTag.lengthPrefixedHeaderSize)..<end])
        // An empty array is the shared empty storage, which `unsafeUninitializedCapacity` would
        // write its count into, from every thread that decodes one (a race the sanitizer reports).
        guard count > 0 else { return [] }
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            initialized = count
        }
    }
}

/// Scalar readers shared by the three container kinds.
enum BinaryScalarDecode {
    static func mismatch(_ type: Any.Type, _ tag: BinaryTag, _ path: [any CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            DecodingError.Context(
                codingPath: path, debugDescription: "expected \(type), found a \(tag) value"))
    }

    static func isNil(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Bool
    {
        try input.tag(at: offset, path()) == .null
    }

    static func bool(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Bool
    {
        switch try input.tag(at: offset, path()) {
        case .true: return true
        case .false: return false
        case let tag: throw mismatch(Bool.self, tag, path())
        }
    }

    @inline(__always)
    static func integer<I: FixedWidthInteger>(
        _: I.Type, _ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]
    ) throws -> I {
        // Range checks by truncation and sign: `I(exactly:)` from a generic source is a call into
        // the standard library that the specialization of this function cannot inline.
        switch try input.tag(at: offset, path()) {
        case .int:
            let zigzag = try input.varint(at: offset + BinaryTag.tagSize, path()).value
            let wide = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            let narrow = I(truncatingIfNeeded: wide)
            if Int64(truncatingIfNeeded: narrow) == wide, (narrow < 0) == (wide < 0) { return narrow }
        case .uint:
            let wide = try input.varint(at: offset + BinaryTag.tagSize, path()).value
            let narrow = I(truncatingIfNeeded: wide)
            if UInt64(truncatingIfNeeded: narrow) == wide, narrow >= 0 { return narrow }
        case let tag: throw mismatch(I.self, tag, path())
        }
        throw input.corrupted(path(), "the number does not fit in \(I.self)")
    }

    static func double(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Double
    {
        switch try input.tag(at: offset, path()) {
        case .double:
            return Double(bitPattern: try input.load(UInt64.self, at: offset + BinaryTag.tagSize, path()))
        case .float:
            return Double(
                Float(bitPattern: try input.load(UInt32.self, at: offset + BinaryTag.tagSize, path())))
        case let tag: throw mismatch(Double.self, tag, path())
        }
    }

    static func float(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Float
    {
        switch try input.tag(at: offset, path()) {
        case .float:
            return Float(bitPattern: try input.load(UInt32.self, at: offset + BinaryTag.tagSize, path()))
        case .double:
            return Float(
                Double(bitPattern: try input.load(UInt64.self, at: offset + BinaryTag.tagSize, path())))
        case let tag: throw mismatch(Float.self, tag, path())
        }
    }

    static func string(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> String
    {
        let tag = try input.tag(at: offset, path())
        guard tag == .string else { throw mismatch(String.self, tag, path()) }
        return try input.string(at: offset + BinaryTag.tagSize, path())
    }
}

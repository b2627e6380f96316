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

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

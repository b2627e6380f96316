/// Encodes task inputs, outputs and errors for the channel, in the compact binary format of
/// ``BinaryTag``: no text on the hot path, and byte and number arrays copied as raw memory.
package enum WireCodec {
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try BinaryEncoder.encode(value)
    }

    /// Appends the encoding of `value` to `output`.
    package static func encode<T: Encodable>(_ value: T, into output: inout [UInt8]) throws {
        try BinaryEncoder.encode(value, into: &output)
    }

    package static func decode<T: Decodable>(_: T.Type, from bytes: [UInt8]) throws -> T {
        try BinaryDecoder.decode(T.self, from: bytes[...])
    }

    package static func decode<T: Decodable>(_: T.Type, from bytes: ArraySlice<UInt8>) throws -> T {
        try BinaryDecoder.decode(T.self, from: bytes)
    }
}

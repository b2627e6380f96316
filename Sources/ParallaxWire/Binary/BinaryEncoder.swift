/// Encodes `Encodable` values in the compact binary format of ``BinaryTag``.
///
/// Values are written straight into byte buffers: scalars into the buffer of the container that
/// holds them, composites into a node of their own that is spliced into its parent when the
/// encoding ends, so containers may be used in any order that `Encodable` allows. The container
/// of the value being encoded writes into the output itself, after what the output already
/// holds, and its header is patched in place when nothing is nested in it.
package enum BinaryEncoder {
    /// Encodes a value.
    /// - Throws: `EncodingError` from the value's own `encode(to:)`.
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        try encode(value, into: &output)
        return output
    }

    /// Appends the encoding of `value` to `output`; on a throw `output` is left as it was.
    /// - Throws: `EncodingError` from the value's own `encode(to:)`.
    package static func encode<T: Encodable>(_ value: T, into output: inout [UInt8]) throws {
        if BinaryFastPath.encode(value, into: &output) { return }
        let encoder = BinaryEncodingState(codingPath: [])
        encoder.adopt(&output)
        do {
            try value.encode(to: encoder)
        } catch {
            encoder.finish(into: &output, failed: true)
            throw error
        }
        encoder.finish(into: &output, failed: false)
    }
}

/// The payload of a run frame: which registered task, and its encoded input.
package struct RunRequest: Sendable, Equatable {
    package var name: String
    /// The encoded input: a slice of the frame's payload, not a copy.
    package var input: ArraySlice<UInt8>

    /// Builds the payload of a run frame, encoding `input` straight after the name.
    /// - Throws: What encoding `input` throws.
    package static func payload<Input: Encodable>(name: String, input: Input) throws -> [UInt8] {
        // Room for the name and a small input: most inputs then need no second allocation.
        var writer = PayloadWriter(capacity: 4 + name.utf8.count + 60)
        writer.write(name)
        var bytes = writer.finish()
        try WireCodec.encode(input, into: &bytes)
        return bytes
    }

    package init(name: String, input: ArraySlice<UInt8>) {
        self.name = name
        self.input = input
    }

    /// The input of a run payload whose name is `name` (UTF-8); nil when it names another task or
    /// is too short to tell.
    package static func input(of payload: [UInt8], ifNamed name: [UInt8]) -> ArraySlice<UInt8>? {
        let start = 4 + name.count
        guard payload.count >= start else { return nil }
        let matches = payload.withUnsafeBytes { bytes in
            name.withUnsafeBytes { expected in
                bytes.loadLittleEndian(UInt32.self, at: 0) == UInt32(name.count)
                    && (expected.isEmpty
                        || memcmp(bytes.baseAddress! + 4, expected.baseAddress!, name.count) == 0)
            }
        }
        return matches ? payload[start...] : nil
    }

    package init(frame: Frame) throws(ProtocolError) {
        var reader = PayloadReader(frame.payload)
        name = try reader.readString()
        input = frame.payload[reader.offset...]
    }
}

#if canImport(Glibc)
    import Glibc
#endif

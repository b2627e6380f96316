/// The payload of a run frame: which registered task, and its encoded input.
package struct RunRequest: Sendable, Equatable {
    package var name: String
    /// The encoded input: a slice of the frame's payload, not a copy.
    package var input: ArraySlice<UInt8>

    /// Builds the payload of a run frame, encoding `input` straight after the name.
    /// - Throws: What encoding `input` throws.
    package static func payload<Input: Encodable>(name: String, input: Input) throws -> [UInt8] {
        var writer = PayloadWriter(capacity: 16 + name.utf8.count)
        writer.write(name)
        var bytes = writer.bytes
        try WireCodec.encode(input, into: &bytes)
        return bytes
    }

    package init(name: String, input: ArraySlice<UInt8>) {
        self.name = name
        self.input = input
    }

    package func frame(id: UInt64) -> Frame {
        var writer = PayloadWriter(capacity: 8 + name.utf8.count + input.count)
        writer.write(name)
        writer.writeRemainder(input)
        return Frame(kind: .run, id: id, payload: writer.bytes)
    }

    package init(frame: Frame) throws(ProtocolError) {
        var reader = PayloadReader(frame.payload)
        name = try reader.readString()
        input = frame.payload[reader.offset...]
    }
}

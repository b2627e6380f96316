/// The payload of a run frame: which registered task, and its encoded input.
package struct RunRequest: Sendable, Equatable {
    package var name: String
    package var input: [UInt8]

    package init(name: String, input: [UInt8]) {
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
        input = reader.readRemainder()
    }
}

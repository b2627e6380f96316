/// Reads the fields that ``PayloadWriter`` wrote, failing with a ``ProtocolError`` on short or
/// invalid input instead of trapping.
package struct PayloadReader {
    private let bytes: [UInt8]
    package private(set) var offset = 0

    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    package var isAtEnd: Bool { offset == bytes.count }

    package mutating func read<T: FixedWidthInteger>(_: T.Type) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else {
            throw ProtocolError(.malformedPayload("expected \(size) more bytes at offset \(offset)"))
        }
        let value = bytes.withUnsafeBytes { $0.loadLittleEndian(T.self, at: offset) }
        offset += size
        return value
    }

    package mutating func readString() throws(ProtocolError) -> String {
        let count = Int(try read(UInt32.self))
        guard bytes.count - offset >= count else {
            throw ProtocolError(.malformedPayload("string of \(count) bytes runs past the payload"))
        }
        let slice = bytes[offset..<offset + count]
        offset += count
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw ProtocolError(.malformedPayload("string is not valid UTF-8"))
        }
        return string
    }

    /// Reads a UInt32 length and returns that many bytes as a slice of the payload.
    package mutating func readSlice() throws(ProtocolError) -> ArraySlice<UInt8> {
        let count = Int(try read(UInt32.self))
        guard bytes.count - offset >= count else {
            throw ProtocolError(.malformedPayload("a field of \(count) bytes runs past the payload"))
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    package mutating func readRemainder() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    package func expectEnd(_ what: String) throws(ProtocolError) {
        guard isAtEnd else {
            throw ProtocolError(.malformedPayload("\(bytes.count - offset) trailing bytes after \(what)"))
        }
    }
}

/// Appends the fixed-layout fields of control payloads (handshake, run request, failure).
package struct PayloadWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        bytes.appendLittleEndian(value)
    }

    package mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// The bytes written, moved out: appending to them does not copy them first.
    package consuming func finish() -> [UInt8] {
        bytes
    }

    /// Appends raw bytes with no length prefix; only valid as the last field.
    package mutating func writeRemainder<Bytes: Collection<UInt8>>(_ tail: Bytes) {
        bytes.append(contentsOf: tail)
    }
}

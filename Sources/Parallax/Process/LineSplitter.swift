/// Cuts a byte stream into text lines, splitting overlong lines so a worker that prints without
/// newlines cannot make the parent buffer without bound.
package struct LineSplitter {
    package static let maximumLineLength = 8_192
    private var pending: [UInt8] = []

    package init() {}

    /// Adds bytes and returns the lines they complete.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(takePending())
            } else {
                pending.append(byte)
                if pending.count >= Self.maximumLineLength { lines.append(takePending()) }
            }
        }
        return lines
    }

    /// Returns what is left after the stream ended without a final newline.
    package mutating func finish() -> String? {
        pending.isEmpty ? nil : takePending()
    }

    private mutating func takePending() -> String {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        defer { pending.removeAll(keepingCapacity: true) }
        return String(decoding: pending, as: UTF8.self)
    }
}

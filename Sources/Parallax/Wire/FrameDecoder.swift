/// Splits a byte stream into frames.
///
/// The decoder validates each header before it keeps more bytes: a header that announces more
/// than `maximumFrameSize` fails at once, so a peer can never make the reader allocate what a
/// header claims.
package struct FrameDecoder: Sendable {
    package let maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    package init(maximumFrameSize: Int) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Bytes received but not yet returned as a frame.
    package var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds bytes read from the channel.
    package mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Adds bytes from a raw buffer.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        append(bytes.bindMemory(to: UInt8.self))
    }

    /// Returns the next complete frame, or `nil` when more bytes are needed.
    /// - Throws: ``ProtocolError`` when the bytes are not a valid frame.
    package mutating func next() throws(ProtocolError) -> Frame? {
        let available = buffer.count - readIndex
        guard available >= 4 else { return nil }
        let length = Int(readLittleEndian(UInt32.self, at: readIndex))
        guard length >= 9 else { throw ProtocolError(.frameTooShort(announced: length)) }
        guard length <= maximumFrameSize else {
            throw ProtocolError(.frameTooLarge(announced: length, limit: maximumFrameSize))
        }
        guard available >= 5 else { return nil }
        guard let kind = Frame.Kind(rawValue: buffer[readIndex + 4]) else {
            throw ProtocolError(.unknownKind(buffer[readIndex + 4]))
        }
        guard available >= 4 + length else { return nil }
        let id = readLittleEndian(UInt64.self, at: readIndex + 5)
        let payloadStart = readIndex + Frame.headerSize
        let payloadEnd = readIndex + 4 + length
        let payload = Array(buffer[payloadStart..<payloadEnd])
        readIndex = payloadEnd
        return Frame(kind: kind, id: id, payload: payload)
    }

    /// How many more bytes the frame at the front still needs, or 0 if none is started.
    package var missingByteCount: Int {
        let available = buffer.count - readIndex
        guard available > 0 else { return 0 }
        guard available >= 4 else { return 4 - available }
        let length = Int(readLittleEndian(UInt32.self, at: readIndex))
        return max(0, 4 + length - available)
    }

    private func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            buffer.withUnsafeBytes { source in
                target.copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + MemoryLayout<T>.size]))
            }
        }
        return T(littleEndian: value)
    }
}

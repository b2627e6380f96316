/// Splits a byte stream into frames.
///
/// The decoder validates each header before it keeps more bytes: a header that announces more
/// than `maximumFrameSize` fails at once. A large frame's payload is collected in an array of its
/// own as its bytes arrive (each byte is copied once), reserved at its exact size up front: the
/// array never grows and leaves no freed block behind. A header never announces more than
/// `maximumFrameSize`; what it announces is reserved, not touched, until the bytes arrive.
package struct FrameDecoder: Sendable {
    /// Frames with a payload above this size are collected in an array of their own.
    package static let largeFrameThreshold = 64 * 1024

    private struct Pending: Sendable {
        var kind: Frame.Kind
        var id: UInt64
        var remaining: Int
        var payload: [UInt8]
    }

    package let maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var pending: Pending?

    package init(maximumFrameSize: Int) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// A decoder that accepts frames whose payload has at most `maximumPayloadSize` bytes.
    package init(maximumPayloadSize: Int) {
        self.init(
            maximumFrameSize: min(maximumPayloadSize, Frame.maximumPayloadCount)
                + Frame.lengthCountsBeyondPayload)
    }

    /// Bytes received but not yet returned as a frame.
    package var bufferedByteCount: Int { buffer.count - readIndex + (pending?.payload.count ?? 0) }

    /// Adds bytes read from the channel.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var bytes = bytes
        if var large = pending, large.remaining > 0 {
            let taken = min(large.remaining, bytes.count)
            pending = nil  // keeps the payload uniquely referenced while it grows
            large.payload.append(
                contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<taken]).assumingMemoryBound(
                    to: UInt8.self))
            large.remaining -= taken
            pending = large
            bytes = UnsafeRawBufferPointer(rebasing: bytes[taken...])
            if bytes.isEmpty { return }
        }
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 65_536, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// Adds bytes from an array.
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Returns the next complete frame, or `nil` when more bytes are needed.
    /// - Throws: ``ProtocolError`` when the bytes are not a valid frame.
    package mutating func next() throws(ProtocolError) -> Frame? {
        if let large = pending {
            guard large.remaining == 0 else { return nil }
            pending = nil
            return Frame(kind: large.kind, id: large.id, payload: large.payload)
        }
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
        if available < 4 + length, length - 9 > Self.largeFrameThreshold, available >= Frame.headerSize {
            // Collect the rest of a large frame in its own array instead of the shared buffer.
            let id = readLittleEndian(UInt64.self, at: readIndex + 5)
            var payload: [UInt8] = []
            payload.reserveCapacity(length - 9)
            payload.append(contentsOf: buffer[(readIndex + Frame.headerSize)...])
            pending = Pending(kind: kind, id: id, remaining: length - 9 - payload.count, payload: payload)
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            readIndex = 0
            return nil
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
        if let pending { return pending.remaining }
        let available = buffer.count - readIndex
        guard available > 0 else { return 0 }
        guard available >= 4 else { return 4 - available }
        let length = Int(readLittleEndian(UInt32.self, at: readIndex))
        return max(0, 4 + length - available)
    }

    private func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

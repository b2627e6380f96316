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
    /// Read bytes at the front of the buffer past which it is compacted, when they are most of it.
    static let compactionThreshold = 64 * 1024
    /// The largest buffer kept for reuse after a large frame moved out of it.
    static let keptCapacity = 1 << 20

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
        } else if readIndex > Self.compactionThreshold, readIndex * 2 > buffer.count {
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
        guard available >= Frame.lengthSize else { return nil }
        let length = Int(readLittleEndian(UInt32.self, at: readIndex))
        guard length >= Frame.lengthCountsBeyondPayload else {
            throw ProtocolError(.frameTooShort(announced: length))
        }
        guard length <= maximumFrameSize else {
            throw ProtocolError(.frameTooLarge(announced: length, limit: maximumFrameSize))
        }
        guard available > Frame.kindOffset else { return nil }
        guard let kind = Frame.Kind(rawValue: buffer[readIndex + Frame.kindOffset]) else {
            throw ProtocolError(.unknownKind(buffer[readIndex + Frame.kindOffset]))
        }
        let frameEnd = Frame.lengthSize + length
        let payloadCount = length - Frame.lengthCountsBeyondPayload
        if available < frameEnd, payloadCount > Self.largeFrameThreshold, available >= Frame.headerSize {
            // Collect the rest of a large frame in its own array instead of the shared buffer.
            let id = readLittleEndian(UInt64.self, at: readIndex + Frame.idOffset)
            var payload: [UInt8] = []
            payload.reserveCapacity(payloadCount)
            payload.append(contentsOf: buffer[(readIndex + Frame.headerSize)...])
            pending = Pending(kind: kind, id: id, remaining: payloadCount - payload.count, payload: payload)
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.keptCapacity)
            readIndex = 0
            return nil
        }
        guard available >= frameEnd else { return nil }
        let id = readLittleEndian(UInt64.self, at: readIndex + Frame.idOffset)
        let payloadStart = readIndex + Frame.headerSize
        let payloadEnd = readIndex + frameEnd
        let payload = Array(buffer[payloadStart..<payloadEnd])
        readIndex = payloadEnd
        return Frame(kind: kind, id: id, payload: payload)
    }

    /// How many more bytes the frame at the front still needs, or 0 if none is started.
    package var missingByteCount: Int {
        if let pending { return pending.remaining }
        let available = buffer.count - readIndex
        guard available > 0 else { return 0 }
        guard available >= Frame.lengthSize else { return Frame.lengthSize - available }
        let length = Int(readLittleEndian(UInt32.self, at: readIndex))
        return max(0, Frame.lengthSize + length - available)
    }

    private func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        buffer.withUnsafeBytes { $0.loadLittleEndian(T.self, at: offset) }
    }
}

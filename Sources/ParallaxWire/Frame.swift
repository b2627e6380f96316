/// One message on a worker channel.
///
/// On the wire a frame is a little-endian `UInt32` length, then the kind byte, the
/// little-endian `UInt64` id and the payload; the length counts the kind, id and payload.
package struct Frame: Sendable, Equatable {
    /// What a frame carries.
    package enum Kind: UInt8, Sendable, CaseIterable {
        /// Worker to parent, once, when the worker is ready: protocol version, pid, registry.
        case hello = 1
        /// Parent to worker: run a registered task (name and encoded input).
        case run = 2
        /// Worker to parent: the encoded output of the task with the frame's id.
        case result = 3
        /// Worker to parent: the task with the frame's id failed (an encoded ``TaskError``).
        case failure = 4
        /// Worker to parent, instead of hello: the bootstrap failed (an encoded ``TaskError``).
        case bootstrapFailed = 5
        /// Parent to worker: cancel the task with the frame's id.
        case cancel = 6
        /// Parent to worker: run a registered function over several inputs (see ``BatchPayload``).
        case runBatch = 7
        /// Worker to parent: one outcome per input of a batch (see ``BatchPayload``).
        case batchResult = 8
        /// Worker to parent: call a service of the parent (see ``ServicePayload``).
        case serviceCall = 9
        /// Parent to worker: the outcome of the service call with the frame's id.
        case serviceReply = 10
        /// Worker to parent: the caller gave up on the service call with the frame's id.
        case serviceCancel = 11
        /// Parent to worker, benchmark support only (the pipe floor of `parallax bench`): answer
        /// with a pong of the same id and payload, from the reader thread, without running a
        /// task. The pool never sends one while tasks run.
        case ping = 12
        /// Worker to parent: the answer to a ping.
        case pong = 13
        /// Parent to worker, last: the parent closes the channel on purpose and stays alive. A
        /// worker whose channel ends without it checks whether its parent died, and if so ends
        /// its process group (what its tasks started) with itself.
        case goodbye = 14
        /// Parent to worker: a run frame with its caller's trace context (see ``TracedPayload``).
        case runTraced = 15
        /// Parent to worker: a runBatch frame with its caller's trace context.
        case runBatchTraced = 16
        /// Worker to parent: a serviceCall frame with the calling task's trace context.
        case serviceCallTraced = 17

        /// The kind that carries the same payload with a trace context before it; nil for a kind
        /// that never carries one.
        package var traced: Kind? {
            switch self {
            case .run: .runTraced
            case .runBatch: .runBatchTraced
            case .serviceCall: .serviceCallTraced
            default: nil
            }
        }

        /// The kind of the plain frame a traced kind wraps; a plain kind itself.
        package var plain: Kind {
            switch self {
            case .runTraced: .run
            case .runBatchTraced: .runBatch
            case .serviceCallTraced: .serviceCall
            default: self
            }
        }

        /// Whether a frame of this kind asks a worker to run a task or a batch.
        package var startsTask: Bool {
            switch self {
            case .run, .runBatch, .runTraced, .runBatchTraced: true
            default: false
            }
        }
    }

    /// Bytes before the payload: length, kind and id.
    package static let headerSize = lengthSize + 1 + 8
    /// The size of the length field that starts a frame.
    package static let lengthSize = 4
    /// Where the kind byte is in the header.
    package static let kindOffset = lengthSize
    /// Where the id is in the header.
    package static let idOffset = lengthSize + 1
    /// Bytes the length field counts besides the payload: kind and id.
    package static let lengthCountsBeyondPayload = 1 + 8
    /// The largest payload whose length fits the 32-bit length field.
    package static let maximumPayloadCount = Int(UInt32.max) - lengthCountsBeyondPayload

    /// The length field of a frame whose payload has `payloadCount` bytes, or nil when it does not
    /// fit in 32 bits: a length is never narrowed without this check.
    package static func lengthField(payloadCount: Int) -> UInt32? {
        let (length, overflow) = payloadCount.addingReportingOverflow(lengthCountsBeyondPayload)
        guard !overflow, payloadCount >= 0 else { return nil }
        return UInt32(exactly: length)
    }

    package var kind: Kind
    package var id: UInt64
    package var payload: [UInt8]

    package init(kind: Kind, id: UInt64, payload: [UInt8] = []) {
        self.kind = kind
        self.id = id
        self.payload = payload
    }

    /// The frame's bytes as written to the channel.
    package func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + payload.count)
        append(to: &bytes)
        return bytes
    }

    /// Appends the frame's bytes as written to the channel.
    package func append(to bytes: inout [UInt8]) {
        Self.withHeader(kind: kind, id: id, payloadCount: payload.count) { header in
            bytes.append(contentsOf: header.assumingMemoryBound(to: UInt8.self))
        }
        bytes.append(contentsOf: payload)
    }

    /// Calls `body` with the header of a frame (length, kind, id), built on the stack.
    package static func withHeader<Result>(
        kind: Kind, id: UInt64, payloadCount: Int, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        // length (4), kind (1), id (8), stored as two words and read from byte 3 on.
        var words = (UInt64(0), UInt64(0))
        // The pool and the worker refuse payloads over their limit, which is at most
        // `maximumPayloadCount`, before a frame is built: a longer one here is a bug.
        guard let length = lengthField(payloadCount: payloadCount) else {
            preconditionFailure("a frame payload of \(payloadCount) bytes does not fit the 32-bit length")
        }
        return withUnsafeMutableBytes(of: &words) { raw in
            let start = 16 - headerSize
            raw.storeLittleEndian(length, at: start)
            raw.storeBytes(of: kind.rawValue, toByteOffset: start + kindOffset, as: UInt8.self)
            raw.storeLittleEndian(id, at: start + idOffset)
            return body(UnsafeRawBufferPointer(rebasing: raw[start..<16]))
        }
    }
}

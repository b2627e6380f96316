/// The payload of a traced frame: the trace context of the code that sent a task or a service
/// call, then the payload of the plain frame it wraps.
///
/// ```
/// runTraced, runBatchTraced, serviceCallTraced:
///     UInt32 count, count × (key: UInt32 length, UTF-8; value: UInt32 length, UTF-8),
///     then the payload of a run, runBatch or serviceCall frame
/// ```
///
/// The entries are what the sender's instrument injected (W3C `traceparent`, `tracestate`,
/// `baggage`, or another propagator's keys). A frame without a context is sent plain, so a
/// program without tracing pays nothing on the wire.
package struct TracedPayload: Sendable, Equatable {
    /// The most bytes the context part may take: room for a W3C `traceparent` and `tracestate`
    /// and the 8,192 bytes the W3C baggage specification lets a `baggage` header carry. A
    /// context that would take more is not sent (the task or call goes plain).
    package static let maximumContextSize = 16 * 1024
    /// The most entries a context may hold.
    package static let maximumEntries = 64

    /// The injected entries, in the order they were written.
    package var entries: [(key: String, value: String)]
    /// The plain frame inside: its kind is ``Frame/Kind/plain``'s answer for the traced kind.
    package var frame: Frame

    package static func == (lhs: TracedPayload, rhs: TracedPayload) -> Bool {
        lhs.frame == rhs.frame && lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
    }

    /// The context part of a traced payload, to be put before a plain payload with ``wrap(_:around:)``.
    /// - Returns: nil when there are no entries, too many, or they take more than
    ///   ``maximumContextSize`` bytes.
    package static func context(_ entries: some Collection<(key: String, value: String)>) -> [UInt8]? {
        guard !entries.isEmpty, entries.count <= maximumEntries else { return nil }
        var writer = PayloadWriter(capacity: 128)
        writer.write(UInt32(entries.count))
        for (key, value) in entries {
            writer.write(key)
            writer.write(value)
        }
        let bytes = writer.finish()
        return bytes.count <= maximumContextSize ? bytes : nil
    }

    /// A traced payload: `context` (from ``context(_:)``) followed by `payload`.
    package static func wrap(_ context: [UInt8], around payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(context.count + payload.count)
        bytes.append(contentsOf: context)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Reads a traced frame.
    /// - Throws: ``ProtocolError`` when the frame is not a traced kind, or its context is
    ///   malformed or over the limits.
    package init(_ traced: Frame) throws(ProtocolError) {
        let plain = traced.kind.plain
        guard plain != traced.kind else {
            throw ProtocolError(.unexpectedFrame("a \(traced.kind) frame carries no trace context"))
        }
        var reader = PayloadReader(traced.payload)
        let count = Int(try reader.read(UInt32.self))
        guard count <= Self.maximumEntries else {
            throw ProtocolError(.malformedPayload("a trace context of \(count) entries"))
        }
        entries = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.readString()
            let value = try reader.readString()
            entries.append((key, value))
        }
        guard reader.offset <= Self.maximumContextSize else {
            throw ProtocolError(.malformedPayload("a trace context of \(reader.offset) bytes"))
        }
        frame = Frame(kind: plain, id: traced.id, payload: Array(traced.payload[reader.offset...]))
    }

    /// The value of the first entry named `key`.
    package subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }
}

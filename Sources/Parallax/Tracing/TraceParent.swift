/// The trace and span ids of a W3C `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`), the
/// propagation format of OpenTelemetry and swift-otel: what a worker's log lines carry.
package struct TraceParent: Sendable, Equatable {
    package var traceID: String
    package var spanID: String

    /// The key of the entry that holds it.
    package static let key = "traceparent"

    /// Parses a `traceparent` value; nil when it is missing or malformed, or an id is all zeros
    /// (which the specification makes invalid).
    package init?(_ value: String?) {
        guard let value else { return nil }
        let fields = value.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].count == 2, fields[1].count == 32, fields[2].count == 16,
            fields[3].count == 2, fields[0] != "ff",
            fields.prefix(4).allSatisfy({ $0.utf8.allSatisfy(Self.isLowercaseHex) }),
            fields[1].contains(where: { $0 != "0" }), fields[2].contains(where: { $0 != "0" })
        else { return nil }
        traceID = String(fields[1])
        spanID = String(fields[2])
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }
}

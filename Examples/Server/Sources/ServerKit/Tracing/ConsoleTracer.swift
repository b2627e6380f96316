public import Logging
import Synchronization
public import Tracing

/// A tracer that writes each finished span to a logger, one line per span, and keeps the last
/// ones in memory: enough to follow a request through the server and its workers without a
/// collector. It propagates W3C trace context (`traceparent`), as OpenTelemetry does, so a
/// production server swaps it for swift-otel's tracer and nothing else changes.
///
/// The server and each worker bootstrap one. A worker's lines reach the server's log through the
/// worker's stderr, which the pool forwards.
public final class ConsoleTracer: Tracer {
    /// The tracer's spans.
    public typealias Span = ConsoleSpan

    let logger: Logger
    private let kept: Int
    private let recent = Mutex<Recent>(Recent())

    private struct Recent {
        var spans: [ConsoleSpan.Finished] = []
        var waiters:
            [(
                predicate: @Sendable (ConsoleSpan.Finished) -> Bool,
                CheckedContinuation<ConsoleSpan.Finished, Never>
            )] = []
    }

    /// - Parameters:
    ///   - logger: Where finished spans are written (at `info`).
    ///   - keeping: How many finished spans ``finishedSpans`` holds.
    public init(logger: Logger, keeping: Int = 1_000) {
        self.logger = logger
        self.kept = keeping
    }

    /// The spans finished last, oldest first.
    public var finishedSpans: [ConsoleSpan.Finished] { recent.withLock { $0.spans } }

    /// The first finished span that `predicate` accepts: one kept already, or the next to end.
    public func span(where predicate: @escaping @Sendable (ConsoleSpan.Finished) -> Bool) async
        -> ConsoleSpan.Finished
    {
        await withCheckedContinuation { continuation in
            let found = recent.withLock { recent -> ConsoleSpan.Finished? in
                if let span = recent.spans.first(where: predicate) { return span }
                recent.waiters.append((predicate, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    func finished(_ span: ConsoleSpan.Finished) {
        var metadata: Logger.Metadata = [
            "trace_id": "\(span.ids.traceID)", "span_id": "\(span.ids.spanID)",
            "span.kind": "\(span.kind)", "span.duration_us": "\(span.durationNanoseconds / 1_000)",
        ]
        if let parent = span.parentSpanID { metadata["parent_span_id"] = "\(parent)" }
        if let status = span.status, status.code == .error {
            metadata["span.status"] = "error: \(status.message ?? "")"
        }
        for (key, value) in span.attributes { metadata[key] = "\(value)" }
        logger.info("span \(span.operationName)", metadata: metadata)
        let woken = recent.withLock { recent in
            recent.spans.append(span)
            if recent.spans.count > kept { recent.spans.removeFirst(recent.spans.count - kept) }
            let (matching, others) = (
                recent.waiters.filter { $0.predicate(span) }, recent.waiters.filter { !$0.predicate(span) }
            )
            recent.waiters = others
            return matching.map(\.1)
        }
        for continuation in woken { continuation.resume(returning: span) }
    }

    /// Starts a span: a child of the context's span, or the root of a new trace.
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> ConsoleSpan {
        var context = context()
        let parent = context.consoleSpanIDs
        let ids = ConsoleSpan.IDs(
            traceID: parent?.traceID ?? Self.randomHex(bytes: 16), spanID: Self.randomHex(bytes: 8))
        context.consoleSpanIDs = ids
        return ConsoleSpan(
            operationName: operationName, context: context, ids: ids, parentSpanID: parent?.spanID,
            kind: kind,
            start: instant().nanosecondsSinceEpoch, tracer: self)
    }

    /// Does nothing: spans are written as they end.
    public func forceFlush() {}

    /// Writes the context's span as a W3C `traceparent`.
    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let ids = context.consoleSpanIDs else { return }
        injector.inject("00-\(ids.traceID)-\(ids.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    /// Reads a W3C `traceparent` into the context, as the remote parent of the spans started in it.
    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let fields = value.split(separator: "-")
        guard fields.count == 4, fields[1].count == 32, fields[2].count == 16 else { return }
        context.consoleSpanIDs = ConsoleSpan.IDs(traceID: String(fields[1]), spanID: String(fields[2]))
    }

    static func randomHex(bytes: Int) -> String {
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 1...255)
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }
}

extension ServiceContext {
    /// The ids of the current span of a ``ConsoleTracer``, or of the remote span it extracted.
    public internal(set) var consoleSpanIDs: ConsoleSpan.IDs? {
        get { self[ConsoleSpanKey.self] }
        set { self[ConsoleSpanKey.self] = newValue }
    }
}

private enum ConsoleSpanKey: ServiceContextKey {
    typealias Value = ConsoleSpan.IDs
}

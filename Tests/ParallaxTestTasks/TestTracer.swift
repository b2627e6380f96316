public import InMemoryTracing
public import Tracing

/// An in-memory tracer that propagates W3C trace context (`traceparent`), as OpenTelemetry's
/// tracers do: the tests' parent and their workers each bootstrap one, and a span crosses the
/// process boundary only through what the tracer injects and extracts. Ids are random, so the
/// parent's and a worker's never collide.
public struct TestTracer: Tracer {
    public typealias Span = InMemorySpan

    public let recorder = InMemoryTracer(
        idGenerator: .init(nextTraceID: { randomHex(bytes: 16) }, nextSpanID: { randomHex(bytes: 8) }))

    /// The process's tracer, bootstrapped as its instrument on first use.
    public static let shared: TestTracer = {
        let tracer = TestTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        recorder.startSpan(
            operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID,
            line: line)
    }

    public func forceFlush() {}

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier) else { return }
        let fields = value.split(separator: "-")
        guard fields.count == 4 else { return }
        context.inMemorySpanContext = InMemorySpanContext(
            traceID: String(fields[1]), spanID: String(fields[2]), parentSpanID: nil)
    }

    /// The finished spans of the trace `traceID`.
    public func finishedSpans(inTrace traceID: String) -> [FinishedInMemorySpan] {
        recorder.finishedSpans.filter { $0.traceID == traceID }
    }
}

private func randomHex(bytes: Int) -> String {
    var text = ""
    for _ in 0..<bytes {
        let byte = UInt8.random(in: 1...255)
        text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
    }
    return text
}

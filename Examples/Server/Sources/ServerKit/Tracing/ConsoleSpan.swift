import Synchronization
public import Tracing

/// A span of a ``ConsoleTracer``.
public final class ConsoleSpan: Span {
    /// A span's identity in its trace.
    public struct IDs: Sendable, Hashable {
        /// The trace's id, 32 hexadecimal digits.
        public var traceID: String
        /// The span's id, 16 hexadecimal digits.
        public var spanID: String
    }

    /// A span as it ended.
    public struct Finished: Sendable {
        /// The span's name.
        public var operationName: String
        /// The span's ids.
        public var ids: IDs
        /// The id of its parent span, if any.
        public var parentSpanID: String?
        /// The span's kind.
        public var kind: SpanKind
        /// Its attributes, as text.
        public var attributes: [String: String]
        /// The names of its events.
        public var events: [String]
        /// Its status, if one was set.
        public var status: SpanStatus?
        /// How long it took.
        public var durationNanoseconds: UInt64
    }

    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var events: [String] = []
        var status: SpanStatus?
        var ended = false
    }

    /// The context of the span: its parent's, with this span's ids.
    public let context: ServiceContext
    /// The span's ids.
    public let ids: IDs
    /// The id of its parent span, if any.
    public let parentSpanID: String?
    /// The span's kind.
    public let kind: SpanKind
    private let start: UInt64
    private let tracer: ConsoleTracer
    private let state: Mutex<State>

    init(
        operationName: String, context: ServiceContext, ids: IDs, parentSpanID: String?, kind: SpanKind,
        start: UInt64, tracer: ConsoleTracer
    ) {
        self.context = context
        self.ids = ids
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.start = start
        self.tracer = tracer
        self.state = Mutex(State(operationName: operationName))
    }

    /// The span's name.
    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    /// The span's attributes.
    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// Whether the span still records: until it ends.
    public var isRecording: Bool { !state.withLock { $0.ended } }

    /// Sets the span's status.
    public func setStatus(_ status: SpanStatus) {
        state.withLock { $0.status = status }
    }

    /// Records an event by its name.
    public func addEvent(_ event: SpanEvent) {
        state.withLock { $0.events.append(event.name) }
    }

    /// Records an error as an `exception` event.
    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.events.append("exception") }
    }

    /// Links are not recorded.
    public func addLink(_ link: SpanLink) {}

    /// An attribute's value as plain text.
    private static func text(of value: SpanAttribute) -> String {
        switch value {
        case .string(let text): text
        case .int64(let number): "\(number)"
        case .int32(let number): "\(number)"
        case .double(let number): "\(number)"
        case .bool(let flag): "\(flag)"
        case .stringConvertible(let value): value.description
        default: "\(value)"
        }
    }

    /// Ends the span and hands it to its tracer, once.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let end = instant().nanosecondsSinceEpoch
        let finished = state.withLock { state -> Finished? in
            guard !state.ended else { return nil }
            state.ended = true
            var attributes: [String: String] = [:]
            // SpanAttributes is not a Sequence.
            // swift-format-ignore: ReplaceForEachWithForLoop
            state.attributes.forEach { key, value in attributes[key] = Self.text(of: value) }
            return Finished(
                operationName: state.operationName, ids: ids, parentSpanID: parentSpanID, kind: kind,
                attributes: attributes, events: state.events, status: state.status,
                durationNanoseconds: end >= start ? end - start : 0)
        }
        if let finished { tracer.finished(finished) }
    }
}

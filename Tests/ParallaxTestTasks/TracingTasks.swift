public import InMemoryTracing
import Logging
public import Parallax
import Tracing

/// A span's ids as a task or a handler saw them.
public struct SeenSpan: Codable, Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    public var parentSpanID: String?

    public init(_ context: InMemorySpanContext) {
        traceID = context.traceID
        spanID = context.spanID
        parentSpanID = context.parentSpanID
    }

    /// The span of the current service context, if any.
    public static var current: SeenSpan? {
        ServiceContext.current?.inMemorySpanContext.map(SeenSpan.init)
    }
}

/// What ``TracedWork`` saw in its worker.
public struct TracedReport: Codable, Sendable, Equatable {
    /// The context the task was sent in, as the worker's tracer extracted it.
    public var received: SeenSpan?
    /// The span the task started.
    public var own: SeenSpan?
    /// The context the parent's service handler ran in, when the task called it.
    public var parentSaw: SeenSpan?
    public var pid: Int32
}

/// Starts a span in the worker (with the worker's own tracer), logs a line in it, and may call
/// a parent service that reports its context.
public struct TracedWork: WorkerTask {
    public var callParent: Bool
    public var log: Bool
    public init(callParent: Bool = false, log: Bool = false) {
        self.callParent = callParent
        self.log = log
    }

    public func run(in context: WorkerContext) async throws -> TracedReport {
        let received = SeenSpan.current
        return try await TestTracer.shared.withSpan("work") { _ in
            if log { context.logger.info("traced work") }
            let parentSaw = callParent ? try await context.services.call(TracingProbe.seen, "probe") : nil
            return TracedReport(
                received: received, own: SeenSpan.current, parentSaw: parentSaw, pid: context.pid)
        }
    }
}

public enum TracingProbe {
    /// A parent service that answers the span of the context its handler runs in.
    public static let seen = ServiceMethod<String, SeenSpan?>("test.tracing.seen")

    /// A function that answers the span of the context it runs in, for a map.
    public static let seenByMap = TaskFunction("test.tracing.seenByMap") { (_: Int) in SeenSpan.current }
}

import Synchronization
import Tracing

/// The trace of one task (or one chunk of a map) sent from code that runs in a service context:
/// the pool's span for the task's life, and the context its frames carry into the worker, where
/// the task runs in it. Code that runs in no service context gets no trace, so its tasks cost
/// nothing here and travel in plain frames.
///
/// The span starts where the task is submitted (queued), records each worker the task is sent
/// to (`parallax.sent`, with the worker's pid) and each retry (`parallax.retry`), and ends with
/// the task's outcome: a failure records the error, sets `error.type` (OpenTelemetry's general
/// attribute, here ``/ParallaxWire/TaskError/type``) and marks the span as an error with its message. Its
/// other attributes are named `parallax.*`: OpenTelemetry has no convention for a worker pool.
@usableFromInline
package final class TaskTrace: Sendable {
    /// The span of the task's life; nil when the instrument traces nothing (it only propagates).
    private let span: (any Span)?
    /// The context part of the task's traced frames; nil when the instrument injects nothing.
    package let wire: [UInt8]?
    private let ended = Atomic<Bool>(false)

    /// Starts the trace of a task submitted now, when the caller runs in a service context.
    /// - Parameters:
    ///   - operation: `run` for a task, `map` for a chunk of a map.
    ///   - name: The task's registered name.
    ///   - pool: The pool's name.
    ///   - inputs: The inputs of a chunk.
    /// - Returns: nil outside a service context, or when the instrument neither traces nor
    ///   propagates.
    package static func start(_ operation: String, task name: String, pool: String, inputs: Int? = nil)
        -> TaskTrace?
    {
        guard let caller = ServiceContext.current else { return nil }
        let tracer = InstrumentationSystem.tracer
        var span: (any Span)?
        if !(tracer is NoOpTracer) {
            let started = tracer.startSpan("\(operation) \(name)", context: caller, ofKind: .client)
            started.attributes["parallax.task.name"] = name
            started.attributes["parallax.pool.name"] = pool
            if let inputs { started.attributes["parallax.map.inputs"] = inputs }
            span = started
        }
        let wire = TraceCarrier.wire(for: span?.context ?? caller)
        guard span != nil || wire != nil else { return nil }
        return TaskTrace(span: span, wire: wire)
    }

    private init(span: (any Span)?, wire: [UInt8]?) {
        self.span = span
        self.wire = wire
    }

    /// Records that the task was written to the worker `pid`, to run at once or after the tasks
    /// sent ahead of it.
    package func sent(to pid: Int32, runsAtOnce: Bool) {
        guard let span else { return }
        span.attributes["parallax.worker.pid"] = Int(pid)
        span.addEvent(
            SpanEvent(
                name: "parallax.sent",
                attributes: [
                    "parallax.worker.pid": .int64(Int64(pid)), "parallax.queued_behind": .bool(!runsAtOnce),
                ]))
    }

    /// Records a failed attempt that is tried again.
    @usableFromInline
    package func retrying(after error: TaskError, attempt: Int) {
        guard let span else { return }
        span.addEvent(
            SpanEvent(
                name: "parallax.retry",
                attributes: [
                    "parallax.task.attempt": .int64(Int64(attempt)), "error.type": .string(error.type),
                    "exception.message": .string(error.message),
                ]))
    }

    /// Ends the span with the task's outcome, once.
    @usableFromInline
    package func finish(_ outcome: Result<[UInt8], TaskError>, attempts: Int) {
        guard let span, !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        span.attributes["parallax.task.attempts"] = attempts
        if case .failure(let error) = outcome {
            span.recordError(error)
            span.attributes["error.type"] = error.type
            span.setStatus(SpanStatus(code: .error, message: error.message))
        }
        span.end()
    }

    deinit {
        // A task dropped unanswered: a group cancelled before its queued tasks reached the pool.
        guard let span, !ended.load(ordering: .acquiring) else { return }
        span.setStatus(SpanStatus(code: .error, message: "the task was dropped before it ran"))
        span.attributes["error.type"] = "dropped"
        span.end()
    }
}

public import Logging

/// What a task knows about the worker it runs in.
public struct WorkerContext: Sendable {
    /// The worker's slot in its pool, from 0.
    public let slot: Int
    /// The worker's process id.
    public let pid: Int32
    /// The id of the running task, unique within the pool.
    public let taskID: UInt64
    /// What every task of the worker shares: a context is built per task and passed around, and
    /// one reference is cheaper to copy than a logger.
    private let shared: Shared
    /// The W3C trace context the task was sent in, for the ids in its log lines.
    private let trace: TraceParent?

    package final class Shared: Sendable {
        let logger: Logger
        let serviceCalls: ServiceCalls?

        package init(logger: Logger, serviceCalls: ServiceCalls?) {
            self.logger = logger
            self.serviceCalls = serviceCalls
        }
    }

    /// The services of the pool's parent: database pools, caches and clients that stay in one
    /// place while tasks run in many processes. See ``ServiceRegistry``.
    public var services: ServiceClient { ServiceClient(calls: shared.serviceCalls, taskID: taskID) }

    /// A logger whose output reaches the parent through the worker's stderr, with the task's id
    /// in its `parallax.task.id` metadata and, for a task sent in a W3C trace context (what
    /// OpenTelemetry and swift-otel propagate), the trace's ids in `trace_id` and `span_id`.
    public var logger: Logger {
        // Built on use: most tasks never log, and the metadata costs an allocation.
        var logger = shared.logger
        logger[metadataKey: "parallax.task.id"] = "\(taskID)"
        if let trace {
            logger[metadataKey: "trace_id"] = "\(trace.traceID)"
            logger[metadataKey: "span_id"] = "\(trace.spanID)"
        }
        return logger
    }

    package init(slot: Int, pid: Int32, taskID: UInt64, logger: Logger, serviceCalls: ServiceCalls? = nil) {
        self.init(
            slot: slot, pid: pid, taskID: taskID, shared: Shared(logger: logger, serviceCalls: serviceCalls))
    }

    package init(slot: Int, pid: Int32, taskID: UInt64, shared: Shared, trace: TraceParent? = nil) {
        self.slot = slot
        self.pid = pid
        self.taskID = taskID
        self.shared = shared
        self.trace = trace
    }
}

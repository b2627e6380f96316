public import Logging
import Metrics
public import Prometheus
import Tracing

/// The process-wide observability of the server and of its workers.
public enum Observability {
    /// Bootstraps the server's metrics (a Prometheus registry, for `GET /metrics`) and tracing (a
    /// ``ConsoleTracer``). Call once, before the pool and the server start.
    /// - Returns: The registry and the tracer.
    public static func bootstrapServer(logLevel: Logger.Level = .info) -> (
        PrometheusCollectorRegistry, ConsoleTracer
    ) {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var traceLogger = Logger(label: "trace")
        traceLogger.logLevel = logLevel
        let tracer = ConsoleTracer(logger: traceLogger)
        InstrumentationSystem.bootstrap(tracer)
        return (registry, tracer)
    }

    /// Bootstraps a worker's tracing: a ``ConsoleTracer`` that extracts the context each task
    /// arrives with and writes the spans the task starts to the worker's output, which the pool
    /// forwards to the server's log. (A worker's metrics are the pool's, counted in the server.)
    public static func bootstrapWorker() {
        InstrumentationSystem.bootstrap(
            ConsoleTracer(logger: Logger(label: "parallax.worker.trace"), keeping: 0))
    }
}

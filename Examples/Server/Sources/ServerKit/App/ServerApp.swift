import Hummingbird
public import Logging
public import Parallax
public import Prometheus
public import ServiceLifecycle
import Tracing
public import UnixSignals

/// The example server: its routes, and the `ServiceGroup` that runs it beside its pool.
public enum ServerApp {
    /// The HTTP application, with its routes on `pool`.
    /// - Parameters:
    ///   - metrics: The registry `GET /metrics` prints; the process's metrics factory must write
    ///     to it (``bootstrapObservability(logLevel:)`` makes it so).
    ///   - onServerRunning: Called with the port once the server listens.
    public static func application(
        pool: WorkerPool, metrics: PrometheusCollectorRegistry, configuration: ServerConfiguration,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol & Service {
        let router = Router()
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(TracingMiddleware())
        router.middlewares.add(LogRequestsMiddleware(.debug))
        addRoutes(to: router, pool: pool, metrics: metrics, configuration: configuration)
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "parallax-server"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    static func addRoutes(
        to router: Router<BasicRequestContext>, pool: WorkerPool, metrics: PrometheusCollectorRegistry,
        configuration: ServerConfiguration
    ) {
        let bodyLimit = configuration.maximumBodySize

        router.get("/health") { _, _ in "ok" }

        // A user's pattern over a posted text. Catastrophic backtracking ends in 504.
        router.post("/regex") { request, context -> RegexSearch.Matches in
            let body = try await request.decode(as: RegexRequest.self, context: context)
            return try await run(
                RegexSearch(pattern: body.pattern, text: body.text), on: pool,
                timeout: configuration.regexTimeout)
        }

        // An uploaded PGM image, decoded by code that traps on a truncated file: 422.
        router.post("/decode") { request, _ -> DecodeImage.Summary in
            let file = try await request.body.collect(upTo: bodyLimit)
            return try await run(
                DecodeImage(file: Array(file.readableBytesView)), on: pool,
                timeout: configuration.decodeTimeout)
        }

        // A blur of an uploaded PGM image, in stripes across the workers with `map`.
        router.post("/transform") { request, _ -> Response in
            let radius = request.uri.queryParameters.get("radius", as: Int.self) ?? 4
            guard (1...32).contains(radius) else {
                throw HTTPError(.badRequest, message: "radius is 1 to 32")
            }
            let file = try await request.body.collect(upTo: bodyLimit)
            let image: PGMImage
            do throws(PGMImage.FormatError) {
                image = try PGMImage(decoding: Array(file.readableBytesView))
            } catch {
                throw HTTPError(.badRequest, message: error.description)
            }
            let stripes = Blur.stripes(of: image, radius: radius)
            let rows: [[UInt8]]
            do {
                rows = try await pool.mapValues(stripes, Blur.stripe, timeout: configuration.transformTimeout)
            } catch let error as TaskError {
                throw error.httpError
            }
            let blurred = PGMImage(width: image.width, height: image.height, pixels: rows.flatMap { $0 })
            return Response(
                status: .ok, headers: [.contentType: "image/x-portable-graymap"],
                body: .init(byteBuffer: ByteBuffer(bytes: blurred.encoded())))
        }

        // The server's metrics (http_requests_total, http_request_duration_seconds, ...) beside the
        // pool's (parallax_tasks_submitted_total, parallax_worker_restarts_total, ...).
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }
    }

    /// Runs a task; a failure becomes the HTTP error that names it.
    static func run<Task: WorkerTask>(_ task: Task, on pool: WorkerPool, timeout: Duration) async throws
        -> Task.Output
    {
        do {
            return try await pool.submit(task, timeout: timeout, whenFull: .fail)
        } catch let error as TaskError {
            throw error.httpError
        }
    }

    /// The server's pool: its tasks, on ``ServerConfiguration/pool``.
    public static func makePool(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "parallax.pool")
    )
        -> WorkerPool
    {
        WorkerPool(configuration: configuration.pool, tasks: ServerTasks.registry, logger: logger)
    }

    /// The pool and the server in one `ServiceGroup`, the pool first: a group shuts its services
    /// down in reverse order, so on SIGTERM or SIGINT (or ``ServiceGroup/triggerGracefulShutdown()``)
    /// the server stops taking requests and finishes those it holds, then the pool runs what was
    /// queued and ends its workers.
    public static func serviceGroup(
        pool: WorkerPool, server: some Service, logger: Logger, signals: [UnixSignal] = [.sigterm, .sigint]
    ) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: pool), .init(service: server)],
                gracefulShutdownSignals: signals,
                logger: logger))
    }

    /// Runs the server and its pool until SIGTERM or SIGINT.
    public static func run(
        configuration: ServerConfiguration, metrics: PrometheusCollectorRegistry, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let pool = makePool(configuration: configuration)
        let server = application(
            pool: pool, metrics: metrics, configuration: configuration, logger: logger,
            onServerRunning: onServerRunning)
        try await serviceGroup(pool: pool, server: server, logger: logger).run()
    }
}

import Logging
import Parallax
import Prometheus
import ServerKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The example server, started on a free loopback port with its pool of real workers (the
/// example's executable), and shut down gracefully after each test.
enum TestServer {
    /// The test process's metrics registry and tracer: bootstrapped once, as the server does.
    static let observability: (PrometheusCollectorRegistry, ConsoleTracer) = Observability.bootstrapServer(
        logLevel: .critical)

    /// The example's executable, built beside the test bundle: it serves as the workers.
    static var workerPath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var path = String(decoding: buffer[..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "parallax-server"
    }

    /// Runs `body` with the port of a running server, its pool, and the lines its pool logged
    /// (the workers' output among them).
    static func with(
        workers: Int = 2, regexTimeout: Duration? = nil,
        _ body: (Int, WorkerPool, LogLines) async throws -> Void
    ) async throws {
        let (metrics, _) = observability
        var configuration = ServerConfiguration(workers: workers, executable: .path(workerPath))
        configuration.port = 0
        if let regexTimeout { configuration.regexTimeout = regexTimeout }
        let lines = LogLines()
        let pool = ServerApp.makePool(
            configuration: configuration,
            logger: Logger(label: "parallax.pool") { _ in LineHandler(lines: lines) })
        var quiet = Logger(label: "parallax-server")
        quiet.logLevel = .warning
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = ServerApp.application(
            pool: pool, metrics: metrics, configuration: configuration, logger: quiet
        ) { port in continuation.yield(port) }
        let group = ServerApp.serviceGroup(pool: pool, server: server, logger: quiet, signals: [])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var next = ports.makeAsyncIterator()
            guard let port = await next.next() else { return }
            let outcome = await Result { try await body(port, pool, lines) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try outcome.get()
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}

/// The lines a logger received, each with its metadata, and a way to wait for one.
final class LogLines: Sendable {
    private let state = Mutex<(lines: [String], waiters: [(String, CheckedContinuation<String, Never>)])>(
        ([], []))

    func append(_ line: String) {
        let woken = state.withLock { state in
            state.lines.append(line)
            let woken = state.waiters.filter { line.contains($0.0) }
            state.waiters.removeAll { line.contains($0.0) }
            return woken.map(\.1)
        }
        for continuation in woken { continuation.resume(returning: line) }
    }

    /// The first line that contains `text`: one logged already, or the next.
    func line(containing text: String) async -> String {
        await withCheckedContinuation { continuation in
            let found = state.withLock { state -> String? in
                if let line = state.lines.first(where: { $0.contains(text) }) { return line }
                state.waiters.append((text, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }
}

struct LineHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append(
            "\(event.message) \(merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        )
    }
}

import CoreMetrics
import Logging
import Parallax
import ParallaxTestSupport
import ParallaxTestTasks

#if canImport(Glibc)
    import Glibc
#endif

/// Runs test bodies against a real pool of the test worker executable.
enum TestPool {
    /// The test worker executable, built beside the test bundle.
    static var workerPath: String {
        var directory = WorkerLaunch.currentExecutablePath
        while let last = directory.last, last != "/" { directory.removeLast() }
        return directory + "ParallaxTestWorker"
    }

    static func configuration(workers: Int, timeout: Duration? = nil) -> WorkerPool.Configuration {
        var configuration = WorkerPool.Configuration(workerCount: workers, executable: .path(workerPath))
        configuration.taskTimeout = timeout
        configuration.forceShutdownTimeout = .seconds(2)
        return configuration
    }

    /// Runs `body` with a running pool of the test worker. With a `clock`, every timer of the
    /// pool runs on it, and a worker that ends is replaced without a backoff unless `configure`
    /// sets one: nothing waits for time the test does not give.
    static func with<Result>(
        workers: Int = 2, timeout: Duration? = nil, payloadLimit: Int? = nil,
        environment: [String: String] = [:],
        logger: Logger = Logger(label: "parallax.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: ManualClock? = nil, services: ServiceRegistry = ServiceRegistry(),
        configure: (inout WorkerPool.Configuration) -> Void = { _ in },
        _ body: (WorkerPool) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration(workers: workers, timeout: timeout)
        if let payloadLimit { configuration.maximumPayloadSize = payloadLimit }
        configuration.environment = .inherit(adding: environment)
        if clock != nil { configuration.restartBackoff = Backoff(initial: .zero, maximum: .zero, jitter: 0) }
        configure(&configuration)
        var hooks = WorkerPool.TestHooks()
        hooks.clock = clock
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, services: services,
            logger: logger,
            metricsFactory: NOOPMetricsHandler.instance, hooks: hooks)
        return try await pool.running(body)
    }
}

/// A log handler that keeps every message, for asserting what reached the parent's log. A value,
/// as swift-log expects: each copy of a logger sets metadata on its own copy of the handler,
/// and only the store of messages is shared.
struct CapturingLogHandler: LogHandler, Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Store: Sendable {
        let entries = Locked<[Entry]>([])
        var messages: [String] { entries.withLock { $0.map(\.message) } }
        /// Every message as it is logged, for a test that waits for one (one reader).
        let stream: AsyncStream<String>
        let continuation: AsyncStream<String>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: String.self)
        }

        /// Waits until `message` has been logged.
        func waitFor(_ message: String) async {
            for await logged in stream where logged == message { return }
        }

        /// Waits until a message that contains `text` has been logged; returns the message.
        func waitForMessage(containing text: String) async -> String {
            for await logged in stream where logged.contains(text) { return logged }
            return ""
        }

        /// Waits until a message that starts with `prefix` has been logged; returns the rest.
        func waitForMessage(startingWith prefix: String) async -> Substring? {
            for await logged in stream where logged.hasPrefix(prefix) {
                return logged.dropFirst(prefix.count)
            }
            return nil
        }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(store: Store) {
        self.store = store
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.entries.withLock {
            $0.append(Entry(level: event.level, message: "\(event.message)", metadata: merged))
        }
        store.continuation.yield("\(event.message)")
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "parallax.test") { _ in CapturingLogHandler(store: store) }, store)
    }
}

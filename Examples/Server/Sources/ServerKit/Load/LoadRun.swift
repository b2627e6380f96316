import FoundationEssentials
import Logging
import NIOHTTP1
import Parallax
public import Prometheus
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The load run: healthy requests at a steady rate against the example server on loopback,
/// first alone, then while a share of requests crash or hang workers. It reports, for each
/// phase, the healthy requests that failed (which must be none), their latency and the workers
/// restarted, and fails when a healthy request failed or a fault got another answer than the one
/// it should.
///
/// Bounded in count and time: a fixed rate for a fixed time per phase, on 127.0.0.1 only.
public enum LoadRun {
    /// What a run does.
    public struct Options: Sendable {
        /// Seconds per phase.
        public var seconds: Double = 20
        /// Healthy requests per second.
        public var rate: Double = 40
        /// Connections the healthy requests share.
        public var connections = 8
        /// One fault (alternately a crash and a hang) every this long, in the faulty phase.
        public var faultInterval: Duration = .milliseconds(500)
        /// The pool's workers.
        public var workers = 4
        /// Where to write the report as JSON.
        public var json: String?

        /// A short run, for CI.
        public static var quick: Options {
            var options = Options()
            options.seconds = 5
            return options
        }

        /// Options from the command line: `[--quick] [--seconds S] [--json FILE]`.
        public init(arguments: [String] = []) {
            if arguments.contains("--quick") { seconds = 5 }
            if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count,
                let value = Double(arguments[index + 1])
            {
                seconds = value
            }
            if let index = arguments.firstIndex(of: "--json"), index + 1 < arguments.count {
                json = arguments[index + 1]
            }
        }
    }

    /// One phase's figures.
    public struct Phase: Codable, Sendable {
        /// The phase's name.
        public var name: String
        /// Healthy requests sent.
        public var healthySent: Int
        /// Healthy requests that did not get 200: must be 0.
        public var healthyFailed: Int
        /// The healthy requests' median latency, from when each was due.
        public var healthyP50Milliseconds: Double
        /// The healthy requests' 99th percentile latency, from when each was due.
        public var healthyP99Milliseconds: Double
        /// Requests sent to crash or hang a worker.
        public var faultsSent: Int
        /// Faults answered 504 (a hung pattern, its worker stopped).
        public var faultsTimedOut: Int
        /// Faults answered 422 (a decoder crash, the reason in the answer).
        public var faultsCrashed: Int
        /// Faults answered otherwise: must be 0.
        public var faultsAnsweredOtherwise: Int
        /// Workers restarted during the phase.
        public var workerRestarts: Int
    }

    /// A run's figures.
    public struct Report: Codable, Sendable {
        /// The pool's workers.
        public var workers: Int
        /// The machine's cores.
        public var cores: Int
        /// Seconds per phase.
        public var seconds: Double
        /// Healthy requests per second.
        public var rate: Double
        /// The phases: without faults, then with them.
        public var phases: [Phase]

        /// Whether every healthy request succeeded and every fault got the answer it should.
        public var passed: Bool {
            phases.allSatisfy { $0.healthyFailed == 0 && $0.faultsAnsweredOtherwise == 0 }
                && phases.contains { $0.faultsSent > 0 && $0.workerRestarts > 0 }
        }
    }

    /// Runs the load run from the command line: prints the table, writes the JSON, and exits
    /// with 1 when it did not pass.
    public static func main(arguments: [String]) async throws {
        let options = Options(arguments: arguments)
        let (metrics, _) = Observability.bootstrapServer(logLevel: .critical)
        let report = try await run(options, metrics: metrics)
        print(table(report))
        if let path = options.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(report)
            guard let file = fopen(path, "w") else { throw WriteFailed(path: path) }
            _ = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
        if !report.passed {
            print("FAILED: a healthy request failed, or a fault got an unexpected answer")
            exit(1)
        }
    }

    struct WriteFailed: Error {
        var path: String
    }

    /// Starts the server with its pool on a free port, runs both phases, and stops it.
    public static func run(_ options: Options, metrics: PrometheusCollectorRegistry) async throws -> Report {
        var configuration = ServerConfiguration(workers: options.workers)
        configuration.port = 0
        var quiet = Logger(label: "parallax-server")
        quiet.logLevel = .warning
        var poolLogger = Logger(label: "parallax.pool")
        poolLogger.logLevel = .warning
        let pool = ServerApp.makePool(configuration: configuration, logger: poolLogger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = ServerApp.application(
            pool: pool, metrics: metrics, configuration: configuration, logger: quiet
        ) { port in continuation.yield(port) }
        let group = ServerApp.serviceGroup(pool: pool, server: server, logger: quiet, signals: [])
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var next = ports.makeAsyncIterator()
            guard let port = await next.next() else { throw LoopbackHTTPClient.ConnectionClosed() }
            // Every worker warm before the clock starts.
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                for _ in 0..<options.workers * 2 { _ = try await client.post("/regex", json: Requests.regex) }
            }
            let calm = try await phase("no faults", options: options, port: port, pool: pool, faults: false)
            let faulty = try await phase(
                "with faults", options: options, port: port, pool: pool, faults: true)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return Report(
                workers: options.workers, cores: WorkerPool.Configuration.activeProcessorCount,
                seconds: options.seconds, rate: options.rate, phases: [calm, faulty])
        }
    }

    /// One phase: the healthy stream, and with `faults` the fault stream beside it.
    static func phase(_ name: String, options: Options, port: Int, pool: WorkerPool, faults: Bool)
        async throws
        -> Phase
    {
        let restartsBefore = pool.workers.reduce(0) { $0 + $1.restarts }
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(options.seconds * 1_000))
        let interval = Duration.milliseconds(1_000 / options.rate)
        let count = Int(options.seconds * options.rate)

        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { tasks in
            // Healthy requests: request i is due at start + i × interval, on connection i mod C.
            // Latency counts from when a request was due, so a stalled server is not hidden by
            // the generator waiting for it.
            for connection in 0..<options.connections {
                tasks.addTask {
                    try await LoopbackHTTPClient.withConnection(port: port) { client in
                        var outcome = Outcome()
                        for index in stride(from: connection, to: count, by: options.connections) {
                            let due = start + interval * index
                            try await Task.sleep(until: due, clock: .continuous)
                            let answer = try? await Requests.healthy(index, with: &client)
                            outcome.healthySent += 1
                            if answer?.status != 200 { outcome.healthyFailed += 1 }
                            outcome.latencies.append(ContinuousClock.now - due)
                        }
                        return outcome
                    }
                }
            }
            if faults {
                // Faults on connections of their own: a crash, then a hang, and so on.
                let faultCount = Int((end - start) / options.faultInterval)
                for kind in 0..<2 {
                    tasks.addTask {
                        try await LoopbackHTTPClient.withConnection(port: port) { client in
                            var outcome = Outcome()
                            for index in stride(from: kind, to: faultCount, by: 2) {
                                try await Task.sleep(
                                    until: start + options.faultInterval * index, clock: .continuous)
                                let answer =
                                    try await
                                    (kind == 0
                                    ? client.send(.POST, "/decode", body: Requests.truncatedImage)
                                    : client.post("/regex", json: Requests.catastrophicRegex))
                                outcome.faultsSent += 1
                                switch (kind, answer.status) {
                                case (0, 422): outcome.faultsCrashed += 1
                                case (1, 504): outcome.faultsTimedOut += 1
                                default: outcome.faultsAnsweredOtherwise += 1
                                }
                            }
                            return outcome
                        }
                    }
                }
            }
            var total = Outcome()
            for try await outcome in tasks { total.add(outcome) }
            return total
        }
        let latencies = outcome.latencies.sorted()
        return Phase(
            name: name, healthySent: outcome.healthySent, healthyFailed: outcome.healthyFailed,
            healthyP50Milliseconds: milliseconds(percentile(latencies, 0.50)),
            healthyP99Milliseconds: milliseconds(percentile(latencies, 0.99)),
            faultsSent: outcome.faultsSent, faultsTimedOut: outcome.faultsTimedOut,
            faultsCrashed: outcome.faultsCrashed, faultsAnsweredOtherwise: outcome.faultsAnsweredOtherwise,
            workerRestarts: pool.workers.reduce(0) { $0 + $1.restarts } - restartsBefore)
    }

    /// What one connection saw.
    struct Outcome: Sendable {
        var healthySent = 0
        var healthyFailed = 0
        var latencies: [Duration] = []
        var faultsSent = 0
        var faultsTimedOut = 0
        var faultsCrashed = 0
        var faultsAnsweredOtherwise = 0

        mutating func add(_ other: Outcome) {
            healthySent += other.healthySent
            healthyFailed += other.healthyFailed
            latencies += other.latencies
            faultsSent += other.faultsSent
            faultsTimedOut += other.faultsTimedOut
            faultsCrashed += other.faultsCrashed
            faultsAnsweredOtherwise += other.faultsAnsweredOtherwise
        }
    }

    /// The requests of a run.
    enum Requests {
        static let regex = #"{"pattern":"[a-z]+ing","text":"running, jumping and swimming all morning"}"#
        static let smallImage = image(width: 64, height: 64).encoded()
        static let stripedImage = image(width: 128, height: 128).encoded()
        /// A header for 400 × 400 pixels over the pixels of 64 × 64: the decoder traps.
        static let truncatedImage = Array("P5\n400 400\n255\n".utf8) + image(width: 64, height: 64).pixels
        /// Backtracks for far longer than the timeout.
        static let catastrophicRegex =
            #"{"pattern":"(a+)+$","text":"\#(String(repeating: "a", count: 64))!"}"#

        /// The healthy request of index `index`: a pattern, a decode and a blur, in turn.
        static func healthy(_ index: Int, with client: inout LoopbackHTTPClient) async throws
            -> LoopbackHTTPClient.Response
        {
            switch index % 3 {
            case 0: try await client.post("/regex", json: regex)
            case 1: try await client.send(.POST, "/decode", body: smallImage)
            default: try await client.send(.POST, "/transform?radius=2", body: stripedImage)
            }
        }

        static func image(width: Int, height: Int) -> PGMImage {
            PGMImage(
                width: width, height: height,
                pixels: (0..<width * height).map { UInt8(truncatingIfNeeded: $0 * 31 + $0 / width) })
        }
    }

    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1_000 + Double(attoseconds) / 1e15 * 1).rounded(toPlaces: 2)
    }

    /// The report as a table.
    public static func table(_ report: Report) -> String {
        var lines = [
            "load run: \(report.rate) healthy requests/s for \(report.seconds) s per phase, "
                + "\(report.workers) workers on \(report.cores) cores",
            "phase        healthy  failed  p50 ms  p99 ms  faults  504  422  other  restarts",
        ]
        for phase in report.phases {
            lines.append(
                phase.name.padding(12) + "\(phase.healthySent)".left(8) + "\(phase.healthyFailed)".left(8)
                    + "\(phase.healthyP50Milliseconds)".left(8) + "\(phase.healthyP99Milliseconds)".left(8)
                    + "\(phase.faultsSent)".left(8) + "\(phase.faultsTimedOut)".left(5)
                    + "\(phase.faultsCrashed)".left(5) + "\(phase.faultsAnsweredOtherwise)".left(7)
                    + "\(phase.workerRestarts)".left(9))
        }
        return lines.joined(separator: "\n")
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    /// Right-aligned in `width` columns.
    fileprivate func left(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}

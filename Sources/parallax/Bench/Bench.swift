import ArgumentParser
import Logging
import Parallax

/// Measures this library against the raw pipe floor, in one process run.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure round trips through warm workers against the raw pipe floor.",
        discussion: "Build with -c release for meaningful figures. Figures are medians of interleaved rounds."
    )

    @Flag(help: "A short run, for CI smoke.")
    var quick = false

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func run() async throws {
        let rounds = quick ? 3 : 10
        let perRound = quick ? 300 : 2_000
        var logger = Logger(label: "parallax.bench")
        logger.logLevel = .warning
        var configuration = WorkerPool.Configuration.singleWorker
        configuration.executable = .current

        var floor = Samples()
        var library = Samples()
        try await WorkerPool.withPool(configuration: configuration, tasks: DemoTasks.registry, logger: logger)
        { pool in
            let echo = try PipeFloor.Echo()
            var message = [UInt8](repeating: 7, count: PipeFloor.messageSize)
            for _ in 0..<200 { echo.roundTrip(&message) }
            for value in 0..<200 { _ = try await pool.submit(EchoTask(value: value)) }
            let clock = ContinuousClock()
            // Interleave the two, so that both see the same scheduler placement and noise.
            for _ in 0..<rounds {
                for _ in 0..<perRound {
                    let start = clock.now
                    echo.roundTrip(&message)
                    floor.append(clock.now - start)
                }
                for value in 0..<perRound {
                    let start = clock.now
                    _ = try await pool.submit(EchoTask(value: value))
                    library.append(clock.now - start)
                }
            }
        }

        let ratio = library.median / floor.median
        print("figure                              value     floor     ratio")
        print("pipe round trip p50 (floor)    \(pad(floor.median)) µs")
        print(
            "warm worker round trip p50     \(pad(library.median)) µs \(pad(floor.median)) µs  \(fixed(ratio, digits: 2))x"
        )
        print("warm worker round trip p99     \(pad(library.percentile(0.99))) µs")
        if let json {
            let text = """
                {
                  "schema": 1,
                  "metrics": {
                    "pipe_roundtrip_us_p50": \(fixed(floor.median, digits: 2)),
                    "process_roundtrip_us_p50": \(fixed(library.median, digits: 2)),
                    "process_roundtrip_us_p99": \(fixed(library.percentile(0.99), digits: 2))
                  }
                }

                """
            try writeFile(json, text)
        }
    }

    private func pad(_ value: Double) -> String {
        let text = fixed(value, digits: 1)
        return String(repeating: " ", count: max(0, 8 - text.count)) + text
    }
}

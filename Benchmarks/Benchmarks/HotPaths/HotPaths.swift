import Benchmark
@_spi(Benchmarks) import Parallax

#if canImport(Glibc)
    import Glibc
#endif

struct Row: Codable, Equatable {
    var id: Int
    var name: String
    var score: Double
}

/// Names carry no spaces: the threshold files are named after them.
/// Allocation counts are deterministic, and CI checks them against the committed Thresholds/.
/// Times vary with the machine: set PARALLAX_BENCHMARK_TIMES=1 to see them too; they are never
/// checked.
let benchmarks: @Sendable () -> Void = {
    let showTimes = getenv("PARALLAX_BENCHMARK_TIMES") != nil
    Benchmark.defaultConfiguration = .init(
        metrics: showTimes ? [.mallocCountTotal, .wallClock] : [.mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        thresholds: [.mallocCountTotal: .init(relative: [.p90: 5], absolute: [.p90: 2])]
    )

    Benchmark("FrameEncodeDecode64B") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(BenchmarkHooks.frameRoundTrip(payloadSize: 64))
        }
    }

    Benchmark("CodecRoundTripSmallStruct") { benchmark in
        let row = Row(id: 7, name: "row-7", score: 1.75)
        for _ in benchmark.scaledIterations {
            blackHole(try BenchmarkHooks.codecRoundTrip(row))
        }
    }

    Benchmark("CodecRoundTrip1MiBBytes", configuration: .init(scalingFactor: .one)) { benchmark in
        let bytes = [UInt8](repeating: 3, count: 1 << 20)
        for _ in benchmark.scaledIterations {
            blackHole(try BenchmarkHooks.codecRoundTrip(bytes))
        }
    }

    Benchmark("PoolDispatchSubmitFinish") { benchmark in
        // One machine for all iterations: the steady state of submit, send and finish. One
        // allocation per cycle: the job object (a job through a pool already holds several, its
        // payload and completion among them).
        blackHole(BenchmarkHooks.dispatchCycles(benchmark.scaledIterations.count))
    }

    Benchmark("WaitGroupInProcess100Tasks", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            let group = WaitGroup(of: Int.self)
            for value in 0..<100 { group.go { value } }
            blackHole(await group.wait().count)
        }
    }
}

import CParallaxSystem
import Logging
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// The measurements of `parallax bench`, each run in this process with the same harness.
struct Measurements {
    let quick: Bool
    let logger: Logger = {
        var logger = Logger(label: "parallax.bench")
        logger.logLevel = .warning
        return logger
    }()

    private let clock = ContinuousClock()

    /// Tasks sent ahead to each worker in the throughput figure, as Python's pool queues calls
    /// ahead of its workers.
    static let throughputPipelineDepth = 16

    private func pool<Result>(
        workers: Int, pipelineDepth: Int = 1, _ body: (WorkerPool) async throws -> Result
    ) async throws -> Result {
        var configuration = WorkerPool.Configuration(workerCount: workers)
        configuration.executable = .current
        configuration.pipelineDepth = pipelineDepth
        return try await WorkerPool.withPool(
            configuration: configuration, tasks: DemoTasks.registry, logger: logger, body)
    }

    /// The pipe floor and the warm round trip, interleaved in rounds. The floor is a raw
    /// ping-pong with the very worker process that runs the tasks, over its channel, from the
    /// thread that submits them (a blocking write, then a blocking read of the pong its reader
    /// thread sends back): both figures see the same processes, threads and placement.
    func roundTrips() async throws -> (floor: Samples, library: Samples) {
        let rounds = quick ? 3 : 10
        let perRound = quick ? 300 : 2_000
        var floor = Samples()
        var library = Samples()
        try await pool(workers: 1) { pool in
            for value in 0..<200 { _ = try await pool.submit(EchoTask(value: value)) }
            guard pool.pingRoundTrips(200) != nil else { throw BenchError("the worker did not answer pings") }
            for _ in 0..<rounds {
                guard let pings = pool.pingRoundTrips(perRound) else {
                    throw BenchError("the worker did not answer pings")
                }
                for sample in pings { floor.append(sample) }
                for value in 0..<perRound {
                    let start = clock.now
                    _ = try await pool.submit(EchoTask(value: value))
                    library.append(clock.now - start)
                }
            }
        }
        return (floor, library)
    }

    /// Small tasks in flight at once through two workers, in tasks per second, beside the floor:
    /// pings through the same two workers, as many sent ahead to each, topped up as they answer,
    /// both workers at once. Interleaved rounds; the medians.
    func throughput() async throws -> (library: Double, floor: Double) {
        let count = quick ? 5_000 : 50_000
        let ahead = Self.throughputPipelineDepth
        return try await pool(workers: 2, pipelineDepth: ahead) { pool in
            for value in 0..<200 { _ = try await pool.submit(EchoTask(value: value)) }
            var library: [Double] = []
            var floor: [Double] = []
            for _ in 0..<(quick ? 1 : 3) {
                let start = clock.now
                let group = WaitGroup(of: Int.self, isolation: .process(pool))
                for value in 0..<count { try group.go(EchoTask(value: value)) }
                let results = await group.wait()
                let elapsed = clock.now - start
                guard results.allSatisfy({ $0.ok }) else { throw BenchError("a throughput task failed") }
                library.append(Double(count) / elapsed.timeInterval)

                // Each worker on a thread of its own, as the pool's I/O threads serve them.
                let times = await withTaskGroup(of: Duration?.self) { group in
                    for slot in 0..<2 {
                        group.addTask { pool.pipelinedPings(count / 2, ahead: ahead, slot: slot) }
                    }
                    return await group.reduce(into: [Duration?]()) { $0.append($1) }
                }
                let slowest = times.compactMap { $0 }.max()
                guard times.count == 2, times.allSatisfy({ $0 != nil }), let slowest else {
                    throw BenchError("the workers did not answer pipelined pings")
                }
                floor.append(Double(count / 2 * 2) / slowest.timeInterval)
            }
            return (library.sorted()[library.count / 2], floor.sorted()[floor.count / 2])
        }
    }

    /// `map` over trivial items in chunks of 256, like Python's `map(chunksize=256)`, in items per
    /// second.
    func map() async throws -> Double {
        let count = quick ? 100_000 : 1_000_000
        return try await pool(workers: 2) { pool in
            _ = try await pool.map(0..<1_000, DemoTasks.identity, chunkSize: 256)
            let start = clock.now
            let results = try await pool.map(0..<count, DemoTasks.identity, chunkSize: 256)
            let elapsed = clock.now - start
            var sum = 0
            for result in results { sum &+= try result.get() }
            guard sum == count * (count - 1) / 2 else { throw BenchError("map returned wrong values") }
            return Double(count) / elapsed.timeInterval
        }
    }

    /// 1 MiB there and back, median milliseconds, beside its floor: a raw 1 MiB ping-pong through
    /// the very worker and pipes that echo the task's bytes (no codec, no task), interleaved.
    func payload() async throws -> (library: Double, floor: Double) {
        let bytes = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var samples = Samples()
        var floor = Samples()
        try await pool(workers: 1) { pool in
            _ = try await pool.submit(DemoTasks.echoBytes, bytes)
            guard pool.pingRoundTrips(2, payloadSize: bytes.count) != nil else {
                throw BenchError("the worker did not answer pings")
            }
            for _ in 0..<(quick ? 5 : 30) {
                let start = clock.now
                let echoed = try await pool.submit(DemoTasks.echoBytes, bytes)
                samples.append(clock.now - start)
                guard echoed == bytes else { throw BenchError("the 1 MiB payload came back changed") }
                guard let pings = pool.pingRoundTrips(1, payloadSize: bytes.count) else {
                    throw BenchError("the worker did not answer pings")
                }
                for ping in pings { floor.append(ping) }
            }
        }
        return (samples.median / 1_000, floor.median / 1_000)
    }

    /// From `run()` to four workers ready, median milliseconds.
    func poolStart() async throws -> Double {
        var samples = Samples()
        for _ in 0..<(quick ? 3 : 7) {
            var configuration = WorkerPool.Configuration(workerCount: 4)
            configuration.executable = .current
            let start = clock.now
            let pool = WorkerPool(configuration: configuration, tasks: DemoTasks.registry, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pool.run() }
                await pool.waitForStartedWorkers(4)
                samples.append(clock.now - start)
                pool.shutdown()
                try await group.waitForAll()
            }
        }
        return samples.median / 1_000
    }

    /// What a pool of each size costs: the time from creating it to every worker having answered
    /// a task (milliseconds), the parent's descriptors per worker, and the warm round trip through
    /// it (median microseconds). The pools start one after another, each measured alone; then all
    /// run at once and their round trips are interleaved in rounds, so that the ratios between
    /// sizes do not depend on the moment each was measured.
    func scale(sizes: [Int]) async throws -> [(
        size: Int, readyMilliseconds: Double, descriptorsPerWorker: Double, roundTrip: Double
    )] {
        var pools: [WorkerPool] = []
        var started: [(ready: Double, perWorker: Double)] = []
        return try await withThrowingTaskGroup(of: Void.self) { group in
            defer { for pool in pools { pool.shutdown() } }
            for size in sizes {
                var configuration = WorkerPool.Configuration(workerCount: size)
                configuration.executable = .current
                let descriptorsBefore = ProcessStatus.openDescriptors()
                let start = clock.now
                let pool = WorkerPool(configuration: configuration, tasks: DemoTasks.registry, logger: logger)
                pools.append(pool)
                group.addTask { try await pool.run() }
                await pool.waitForStartedWorkers(size)
                // One task each at once: with one task per worker at a time, each started worker
                // takes one.
                try await withThrowingTaskGroup(of: Int.self) { tasks in
                    for value in 0..<size { tasks.addTask { try await pool.submit(EchoTask(value: value)) } }
                    for try await _ in tasks {}
                }
                let ready = (clock.now - start).timeInterval * 1_000
                let perWorker = Double(ProcessStatus.openDescriptors() - descriptorsBefore) / Double(size)
                started.append((ready, perWorker))
            }
            var roundTrips = Array(repeating: Samples(), count: pools.count)
            // Many short rounds: on a virtual machine a pool's round trip can sit in a slow mode for
            // a while (a worker placed where each wake-up crosses to an idle virtual CPU: about
            // 60 µs instead of 12, whatever the pool's size), and short rounds spread those
            // stretches over every size alike.
            for round in 0..<(quick ? 3 : 40) {
                for offset in pools.indices {
                    let index = (round + offset) % pools.count
                    for value in 0..<(quick ? 100 : 50) {
                        let sent = clock.now
                        _ = try await pools[index].submit(EchoTask(value: value))
                        roundTrips[index].append(clock.now - sent)
                    }
                }
            }
            return sizes.indices.map {
                (sizes[$0], started[$0].ready, started[$0].perWorker, roundTrips[$0].median)
            }
        }
    }

    /// Spawn and exit of this executable in its smallest mode, median milliseconds.
    func workerSpawn() throws -> Double {
        var samples = Samples()
        for _ in 0..<(quick ? 5 : 20) {
            let start = clock.now
            do { _ = try PipeFloor.Echo() }  // the echo exits as soon as its input closes
            samples.append(clock.now - start)
        }
        return samples.median / 1_000
    }

    /// SIGKILL of an idle worker to its replacement's handshake, median milliseconds.
    func restart() async throws -> Double {
        var samples = Samples()
        try await pool(workers: 1) { pool in
            for _ in 0..<(quick ? 5 : 20) {
                let pid = try await pool.submit(WorkerPID())
                let target = pool.startedWorkerCount + 1
                let start = clock.now
                kill(pid, SIGKILL)
                await pool.waitForStartedWorkers(target)
                samples.append(clock.now - start)
            }
        }
        return samples.median / 1_000
    }

    /// Per-task overhead of an in-process WaitGroup and of a raw task group, in microseconds.
    func inProcess() async -> (waitGroup: Double, taskGroup: Double) {
        let count = quick ? 20_000 : 200_000
        var waitGroupSamples = Samples()
        var taskGroupSamples = Samples()
        for _ in 0..<(quick ? 5 : 9) {
            var start = clock.now
            let group = WaitGroup(of: Int.self)
            for value in 0..<count { group.go { value } }
            let results = await group.wait()
            waitGroupSamples.append((clock.now - start) / count)
            precondition(results.count == count)

            start = clock.now
            let sum = await withTaskGroup(of: Int.self) { group in
                for value in 0..<count { group.addTask { value } }
                return await group.reduce(0, +)
            }
            taskGroupSamples.append((clock.now - start) / count)
            precondition(sum == count * (count - 1) / 2)
        }
        return (waitGroupSamples.median, taskGroupSamples.median)
    }

    /// The resident memory of an idle worker, in MiB.
    func idleWorkerRSS() async throws -> Double? {
        try await pool(workers: 1) { pool in
            let pid = try await pool.submit(WorkerPID())
            return ProcessMemory.residentBytes(of: pid).map { Double($0) / 1_048_576 }
        }
    }

    /// Parent memory and descriptors before and after many tasks through one pool.
    func leakCheck() async throws -> (tasks: Int, rssDrift: Double, fdGrowth: Double) {
        let count = quick ? 10_000 : 100_000
        return try await pool(workers: 2) { pool in
            for value in 0..<2_000 { _ = try await pool.submit(EchoTask(value: value)) }
            let rssBefore = Double(ProcessMemory.residentBytes(of: getpid()) ?? 0) / 1_048_576
            let fdsBefore = ProcessStatus.openDescriptors()
            var done = 0
            while done < count {
                let group = WaitGroup(of: Int.self, isolation: .process(pool))
                for value in 0..<1_000 { try group.go(EchoTask(value: value)) }
                _ = await group.wait()
                done += 1_000
            }
            let rssAfter = Double(ProcessMemory.residentBytes(of: getpid()) ?? 0) / 1_048_576
            let fdsAfter = ProcessStatus.openDescriptors()
            return (count, rssAfter - rssBefore, Double(fdsAfter - fdsBefore))
        }
    }
}

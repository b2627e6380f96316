import ArgumentParser
import Logging
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run php-parallax's examples on real worker processes.")

    @Option(help: "Worker processes in the pool (default: one per processor).")
    var workers: Int?

    @Option(help: "Shards in the fan-out.")
    var shards = 8

    @Option(help: "Events counted per shard (the CPU work of one task).")
    var events = 30_000_000

    @Option(
        help:
            "Run the queue across this many hosts on a private PostgreSQL server instead (parallax-cluster).")
    var hosts: Int?

    func run() async throws {
        if let hosts { try ClusterDemo.exec(hosts: hosts) }
        var configuration = WorkerPool.Configuration.cpuBound
        if let workers { configuration.workerCount = max(1, workers) }
        // Worker output and crash reports are shown in the slots below; keep the log to warnings.
        var logger = Logger(label: "parallax.demo")
        logger.logLevel = .warning

        print(
            "swift-parallax demo: \(configuration.workerCount) worker processes, spawned from this executable\n"
        )
        try await WorkerPool.withPool(configuration: configuration, tasks: DemoTasks.registry, logger: logger)
        { pool in
            try await fanOut(pool)
            try await snapshot(pool)
            try await failures(pool)
            try await progress(pool)
        }
    }

    /// php-parallax's shard fan-out, against the same work run serially.
    private func fanOut(_ pool: WorkerPool) async throws {
        print("1. Fan-out: count events over \(shards) shards")
        let dsn = "postgres://localhost/app"
        // Warm the workers, so the timing is of the work and not of process start.
        _ = try await pool.submit(EchoTask(value: 0))

        let clock = ContinuousClock()
        let start = clock.now
        let group = WaitGroup(of: Int.self, isolation: .process(pool))
        for shard in 0..<shards { try group.go(CountEvents(dsn: dsn, shard: shard, events: events)) }
        let results = await group.wait()
        let parallel = clock.now - start

        for (index, slot) in results.enumerated() {
            switch slot.result {
            case .success(let count): print("   slot \(index): \(count) matching events")
            case .failure(let error): print("   slot \(index) [\(error.type)]: \(error.message)")
            }
        }
        let serialStart = clock.now
        let serialTotal = (0..<shards).reduce(0) { $0 + CountEvents.count(shard: $1, events: events) }
        let serial = clock.now - serialStart
        // The in-process limit: the same shards as Swift tasks of this process, which share its
        // fate (a trap in one ends them all).
        let inProcessStart = clock.now
        let inProcessTotal = await withTaskGroup(of: Int.self) { group in
            for shard in 0..<shards { group.addTask { CountEvents.count(shard: shard, events: events) } }
            return await group.reduce(0, +)
        }
        let inProcess = clock.now - inProcessStart
        let total = results.compactMap(\.value).reduce(0, +)
        precondition(total == serialTotal && total == inProcessTotal, "parallel and serial totals differ")
        let processSpeedUp = serial / parallel
        let taskSpeedUp = serial / inProcess
        print(
            "   total \(total); one after another in this process \(format(serial)); "
                + "\(pool.configuration.workerCount) worker processes \(format(parallel)) "
                + "(\(fixed(processSpeedUp, digits: 2))x faster); Swift tasks in this process "
                + "\(format(inProcess)) (\(fixed(taskSpeedUp, digits: 2))x)")
        print(
            "   the workers reach \(Int((processSpeedUp / taskSpeedUp * 100).rounded()))% of the in-process "
                + "speed-up, and a crash in one of them fails one slot instead of the whole process\n")
    }

    /// Captures are snapshots taken at `go`.
    private func snapshot(_ pool: WorkerPool) async throws {
        print("2. Snapshot rule: arguments are copied at go")
        var userID = 42
        var tag = "orders"
        let group = WaitGroup(of: String.self, isolation: .process(pool))
        try group.go(TagUser(userID: userID, tag: tag))
        userID = 99  // the worker still sees 42
        tag = "junk"
        print("   after go: userID = \(userID), tag = \(tag)")
        print("   the task saw: \(await group.wait()[0].value ?? "nothing")\n")
    }

    /// One slot throws, one crashes its worker; the siblings are fine, and so is the pool.
    private func failures(_ pool: WorkerPool) async throws {
        print("3. Failures stay in their slot")
        let group = WaitGroup(of: Int.self, isolation: .process(pool))
        try group.go(CountEvents(dsn: "", shard: 1, events: 1_000))
        let charges = WaitGroup(of: String.self, isolation: .process(pool))
        try charges.go(ChargeCard(amount: 1_999))
        try group.go(ResizeImage(sizes: [640, 800, 1_024], pick: 3))
        try group.go(CountEvents(dsn: "", shard: 2, events: 1_000))

        if let error = await charges.wait()[0].error {
            print(
                "   throws:  [\(error.kind)] \(error.type): \(error.message) (code \(error.code.map(String.init) ?? "none"))"
            )
        }
        for (index, slot) in await group.wait().enumerated() {
            switch slot.result {
            case .success(let value):
                print("   slot \(index): ok, \(value)")
            case .failure(let error):
                print("   slot \(index): [\(error.kind)] \(error.message)")
                if let termination = error.termination { print("           ended by: \(termination)") }
                // The runtime's crash line, then the frames in this program's own source.
                let trace = error.trace.split(separator: "\n")
                let shown = trace.filter { $0.contains("Program crashed") || $0.contains(" at /") }.prefix(3)
                for line in shown { print("           | \(line.trimmingPrefix(while: { $0 == " " }))") }
            }
        }
        let after = try await pool.submit(EchoTask(value: 7))
        print("   the pool replaced the crashed worker; the next task returned \(after)")
    }

    /// A parallel map with a progress bar, from the streaming form of `map`.
    private func progress(_ pool: WorkerPool) async throws {
        let images = 400
        print("\n4. Parallel map over \(images) images, chunks of 4, with progress")
        let interactive = isatty(1) == 1
        var done = 0
        var failed = 0
        var lastMilestone = 0
        for await item in try pool.mapStream(0..<images, DemoTasks.score, chunkSize: 4) {
            done += 1
            if !item.result.ok { failed += 1 }
            let percent = done * 100 / images
            if interactive {
                let filled = percent / 5
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
                print("\r   [\(bar)] \(done)/\(images)", terminator: "")
                fflush(nil)
            } else if percent >= lastMilestone + 25 {
                lastMilestone = percent - percent % 25
                print("   \(done)/\(images) done (\(lastMilestone)%)")
            }
        }
        if interactive { print("") }
        print("   \(done - failed) scored, \(failed) failed")
    }

    private func format(_ duration: Duration) -> String {
        "\(fixed(duration.timeInterval * 1_000, digits: 0)) ms"
    }
}

/// `value` with `digits` decimals, without Foundation's formatter.
func fixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard digits > 0 else { return "\(scaled)" }
    let whole = scaled / Int(scale)
    var fraction = String(abs(scaled) % Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return "\(whole).\(fraction)"
}

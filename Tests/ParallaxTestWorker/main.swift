import Parallax
import ParallaxTestTasks

#if canImport(Glibc)
    import Glibc
#endif

// The worker executable the tests start. In worker mode it serves the test registry. Run as
// `ParallaxTestWorker parent WORKERS [idle|busy]` it plays a parent that the tests kill: it
// prints its workers' pids, with `busy` gives each worker a task that never returns, and with
// `children` has each worker start a child process and prints those pids too, and with `leased`
// gives each worker such a task under a lease deadline it keeps renewing.
if Worker.isWorkerProcess, getenv(TestTasks.badHandshakeVariable) != nil {
    TestTasks.sendBadHandshakeAndWait()
}
await Worker.serveIfWorker([TestTasks.registry, TestTasks.secondRegistry], bootstrap: TestTasks.bootstrap)

let arguments = CommandLine.arguments
if arguments.count >= 3, arguments[1] == "parent", let count = Int(arguments[2]) {
    let busy = arguments.count > 3 && arguments[3] == "busy"
    // A low soft limit of open files to start from, as a test asks: the pool must raise it.
    if let text = getenv("PARALLAX_TEST_NOFILE"), let soft = rlim_t(String(cString: text)) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = soft
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    let leased = arguments.count > 3 && arguments[3] == "leased"
    var configuration = WorkerPool.Configuration(workerCount: count)
    configuration.executable = .current
    let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
    await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pool.run() }
        // One slow task per worker, so that every worker reports its pid.
        let whoAmI = WaitGroup(of: Int32.self, isolation: .process(pool))
        for _ in 0..<count { try? whoAmI.go(WhoAmISlowly()) }
        let pids = await whoAmI.wait().compactMap(\.value)
        var children: [Int32] = []
        if arguments.count > 3, arguments[3] == "children" {
            // Each worker idles after this, with a child process of its own running.
            let spawned = WaitGroup(of: Int32.self, isolation: .process(pool))
            for index in 0..<count {
                try? spawned.go(
                    StartChild(index.isMultiple(of: 2) ? .posixSpawn : .foundationProcess, then: .answer))
            }
            children = await spawned.wait().compactMap(\.value)
        }
        if busy || leased {
            // Each worker is idle now, so each hung task is written to a worker inside `go`.
            let hung = WaitGroup(of: Int.self, isolation: .process(pool))
            for _ in 0..<count { try? hung.go(Hang()) }
        }
        if leased {
            // A lease of 600 ms, renewed every 100 ms: the workers live on while this process
            // runs. The pids are printed after three leases' worth of renewals.
            pool.setLeaseDeadline(after: .milliseconds(600))
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(100))
                    pool.setLeaseDeadline(after: .milliseconds(600))
                }
            }
            try? await Task.sleep(for: .milliseconds(1_800))
        }
        let line = Array(
            "pids \(pids.map(String.init).joined(separator: " ")) children \(children.map(String.init).joined(separator: " "))\n"
                .utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        while true { pause() }  // until the test kills this process
    }
}

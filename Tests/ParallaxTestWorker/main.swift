import Parallax
import ParallaxTestTasks

#if canImport(Glibc)
    import Glibc
#endif

// The worker executable the tests start. In worker mode it serves the test registry; run as
// `ParallaxTestWorker parent WORKERS` it plays a parent that the tests kill.
await Worker.serveIfWorker(TestTasks.registry, bootstrap: TestTasks.bootstrap)

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "parent",
    let count = Int(CommandLine.arguments[2])
{
    var configuration = WorkerPool.Configuration(workerCount: count)
    configuration.executable = .current
    let pool = WorkerPool(configuration: configuration, tasks: TestTasks.registry)
    await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await pool.run() }
        // One slow task per worker, so that every worker reports its pid.
        let group2 = WaitGroup(of: Int32.self, isolation: .process(pool))
        for _ in 0..<count { try? group2.go(WhoAmISlowly()) }
        let pids = await group2.wait().compactMap(\.value)
        let line = Array("pids \(pids.map(String.init).joined(separator: " "))\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        while true { pause() }  // until the test kills this process
    }
}

import FoundationEssentials
import Parallax
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A deploy that removes or replaces the executable of a running parent: its pool still restarts
/// a worker that died, from the image the parent runs (the same code, so the same wire), not from
/// whatever the path names now.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ReplacedExecutableTests {
    @Test func aWorkerThatDiedIsRestartedAfterTheParentsExecutableWasRemoved() throws {
        var template = Array("/tmp/parallax-exe-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = directory + "/ParallaxTestWorker"
        try Self.copyExecutable(TestPool.workerPath, to: copy)

        let (pid, output) = try FileDescriptorPipe.startParent(workers: "idle", path: copy)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let workers = Set(try output.readWorkerPIDs())
        try #require(workers.count == 2)

        // The deploy: the file is gone (a new version would be renamed over it).
        try FileManager.default.removeItem(atPath: copy)
        let victim = try #require(workers.first)
        let watch = try ProcessWatch(pid: victim)
        kill(victim, SIGKILL)
        #expect(watch.wait(timeout: .seconds(10)))

        // The pool starts a worker in its place: a child the parent did not have before, running
        // as a worker (a spawn that fails leaves a short-lived child with the parent's environment).
        var replaced = false
        let start = ContinuousClock.now
        while !replaced, ContinuousClock.now - start < .seconds(20) {
            replaced = Self.children(of: pid).subtracting(workers).contains(where: Self.isWorker)
            if !replaced { usleep(20_000) }
        }
        #expect(replaced, "no worker was started after the executable was removed")
    }

    /// Copies an executable through a descriptor opened close-on-exec. A descriptor without it
    /// (as FileManager's copy opens) is inherited by whatever another test spawns meanwhile, such
    /// as a PostgreSQL server that lives for the whole run, and starting the copy fails with
    /// ETXTBSY for as long as that process holds it.
    static func copyExecutable(_ source: String, to destination: String) throws {
        let bytes = try #require(FileManager.default.contents(atPath: source))
        let fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0, "open \(destination): errno \(errno)")
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count, "wrote \(written) of \(bytes.count) bytes")
    }

    /// Whether `pid` runs in worker mode: its environment marks it as a worker.
    static func isWorker(_ pid: Int32) -> Bool {
        guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else {
            return false
        }
        let marker = Array("\(WorkerLaunch.channelVariable)=1".utf8)
        return environment.split(separator: 0).contains { Array($0) == marker }
    }

    /// The live child processes of `pid`, from every thread's list in /proc.
    static func children(of pid: pid_t) -> Set<Int32> {
        let tasks = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [] }
        var children = Set<Int32>()
        for thread in threads {
            guard let text = try? String(contentsOfFile: "\(tasks)/\(thread)/children", encoding: .utf8)
            else {
                continue
            }
            children.formUnion(
                text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int32($0) })
        }
        return children
    }
}

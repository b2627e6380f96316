import Foundation
public import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child process that would outlive its worker (a long `sleep`), prints `child pid N`
/// to stdout (the parent's log), then answers, crashes or blocks: what a task that runs a tool
/// does, for the tests that check that no descendant outlives its worker.
public struct StartChild: WorkerTask {
    public enum Launcher: String, Codable, Sendable, CaseIterable {
        /// `posix_spawn` of `/bin/sleep`.
        case posixSpawn
        /// Foundation's `Process`.
        case foundationProcess
        /// `fork` without `exec`: the child keeps the worker's channel descriptors.
        case fork
    }

    public enum Then: String, Codable, Sendable, CaseIterable {
        case answer, crash, hang
    }

    /// The line the task prints before it goes on; the child's pid follows.
    public static let marker = "child pid "

    public var launcher: Launcher
    public var then: Then

    public init(_ launcher: Launcher, then: Then) {
        self.launcher = launcher
        self.then = then
    }

    public func run(in context: WorkerContext) async throws -> Int32 {
        let child = try start()
        print("\(Self.marker)\(child)")
        switch then {
        case .answer: return child
        case .crash: fatalError("crashing with a child process running")
        case .hang: while true { pause() }
        }
    }

    private func start() throws -> Int32 {
        switch launcher {
        case .posixSpawn:
            var pid: pid_t = 0
            let arguments = ["/bin/sleep", "1000"]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let rc = posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ)
            guard rc == 0 else { throw SpawnFailed(code: rc) }
            return pid
        case .foundationProcess:
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sleep")
            process.arguments = ["1000"]
            try process.run()
            return process.processIdentifier
        case .fork:
            let pid = fork()
            if pid == 0 {
                // Only async-signal-safe calls after fork in a threaded process.
                sleep(1000)
                _exit(0)
            }
            guard pid > 0 else { throw SpawnFailed(code: errno) }
            return pid
        }
    }

    public struct SpawnFailed: Error {
        public var code: Int32
    }
}

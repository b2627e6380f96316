import FoundationEssentials
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// One consumer host of the chaos run: a process of this executable running `host`, which the
/// run kills, restarts, freezes and thaws.
final class ChaosHost: Sendable {
    let name: String
    private let executable: String
    private let arguments: [String]
    private let current = Locked<HostProcess?>(nil)

    var process: HostProcess? { current.withLock { $0 } }

    private let output: String

    /// - Parameters:
    ///   - launcher: A command that runs the host (as `ip netns exec` into its namespace), or
    ///     none to run it here.
    ///   - address: The database server's address as the host reaches it.
    ///   - output: The file the host's log (notices and worse) is appended to.
    init(
        name: String, launcher: [String] = [], address: String, port: Int, database: String, workers: Int,
        output: String
    ) {
        self.name = name
        self.output = output
        let command =
            launcher + [
                WorkerLaunch.currentExecutablePath, "host", "--address", address, "--port", "\(port)",
                "--database", database, "--name", name, "--queue", "chaos", "--workers", "\(workers)",
                "--log-level", "notice",
            ]
        executable = command[0]
        arguments = Array(command.dropFirst())
    }

    var pid: pid_t? { process?.pid }

    /// The host's child processes now: its workers.
    func workers() -> [Int32] {
        guard let pid else { return [] }
        let tasks = "/proc/\(pid)/task"
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [] }
        return threads.flatMap { thread -> [Int32] in
            let text = (try? String(contentsOfFile: "\(tasks)/\(thread)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }

    func start() throws {
        let started = try HostProcess(executable: executable, arguments: arguments, output: output)
        current.withLock { $0 = started }
    }

    /// Kills the host's parent with SIGKILL and reaps it; its workers see it die and end.
    func kill() {
        guard let process = current.withLock({ $0.take() }) else { return }
        process.signal(SIGKILL)
        _ = process.waitForExit()
    }

    func freeze() { process?.signal(SIGSTOP) }

    func thaw() { process?.signal(SIGCONT) }

    /// Stops the host gracefully (SIGTERM) and waits up to `limit` for it, then kills it.
    /// - Returns: Whether it exited with status 0 in time.
    func stop(within limit: Duration = .seconds(30)) async -> Bool {
        guard let process = current.withLock({ $0.take() }) else { return true }
        process.signal(SIGTERM)
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if let clean = process.exited() { return clean }
            try? await Task.sleep(for: .milliseconds(20))
        }
        print("   \(name) did not stop within \(limit) of SIGTERM; killed")
        process.signal(SIGKILL)
        _ = process.waitForExit()
        return false
    }
}

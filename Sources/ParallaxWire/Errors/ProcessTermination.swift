/// How a worker process ended.
public enum ProcessTermination: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The process called `exit` with this status.
    case exited(Int32)
    /// A signal ended the process: a trap is `SIGILL` or `SIGTRAP`, `abort()` is `SIGABRT`.
    case signaled(Int32)

    /// The signal's conventional name, such as `SIGSEGV`, for ``signaled(_:)``.
    public var signalName: String? {
        guard case .signaled(let number) = self else { return nil }
        return Self.signalNames[number] ?? "signal \(number)"
    }

    /// `exit status 3` or `signal SIGSEGV (11)`.
    public var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let number): "signal \(signalName ?? "") (\(number))"
        }
    }

    private static let signalNames: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
        8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
        14: "SIGALRM", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ",
    ]
}

import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Each worker's log of the attempts it runs, one file per worker process in the directory named
/// by ``variable``: a line when an attempt starts, every ``tickMilliseconds`` while it sleeps, and
/// when it ends, each with the time on `CLOCK_BOOTTIME` (the same in every process of the
/// machine). Lines are appended with one `write` each, so a killed worker leaves whole lines.
final class AttemptLog: Sendable {
    /// The variable that names the directory; inherited by hosts and their workers.
    static let variable = "PARALLAX_CHAOS_LOG"
    /// How often a sleeping attempt says it is alive.
    static let tickMilliseconds = 50

    static let shared = AttemptLog()

    private let descriptor: Int32

    private init() {
        guard let directory = getenv(Self.variable).map({ String(cString: $0) }) else {
            descriptor = -1
            return
        }
        descriptor = open(
            "\(directory)/attempts-\(getpid()).log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    /// Logs an attempt's start; returns its nonce.
    func started(_ key: String) -> UInt64 {
        let nonce = UInt64.random(in: 1...UInt64.max)
        append("S \(key) \(nonce) \(BootClock.nanoseconds)\n")
        return nonce
    }

    func alive(_ key: String, _ nonce: UInt64) {
        append("A \(key) \(nonce) \(BootClock.nanoseconds)\n")
    }

    func ended(_ key: String, _ nonce: UInt64) {
        append("E \(key) \(nonce) \(BootClock.nanoseconds)\n")
    }

    private func append(_ line: String) {
        guard descriptor >= 0 else { return }
        var line = line
        line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}

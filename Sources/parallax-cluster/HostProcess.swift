#if canImport(Glibc)
    import Glibc
#endif

/// A host of the demo: a process of this executable running `host`, in a process group of its
/// own, so that a signal to the group reaches the host and nothing of the demo.
struct HostProcess {
    let pid: pid_t

    /// Starts `executable` with `arguments`, its output going where the demo's goes, or appended
    /// to the file `output`.
    init(executable: String, arguments: [String], output: String? = nil) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = [executable] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &pointers, environ)
        guard spawned == 0 else { throw HostProcessError(errno: spawned) }
        self.pid = pid
    }

    /// Sends `signal` to the host.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Whether the host has ended, without waiting: `nil` while it runs, else whether it exited
    /// with status 0.
    func exited() -> Bool? {
        var status: Int32 = 0
        var reaped = waitpid(pid, &status, WNOHANG)
        while reaped < 0, errno == EINTR { reaped = waitpid(pid, &status, WNOHANG) }
        return reaped == pid ? status == 0 : nil
    }

    /// Waits for the host to end.
    /// - Returns: Whether it exited with status 0.
    func waitForExit() -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status == 0
    }
}

struct HostProcessError: Error, CustomStringConvertible {
    var errno: Int32
    var description: String { "could not start a host: \(String(cString: strerror(errno)))" }
}

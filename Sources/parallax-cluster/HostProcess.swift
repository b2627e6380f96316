#if canImport(Glibc)
    import Glibc
#endif

/// A host of the demo: a process of this executable running `host`, in a process group of its
/// own, so that a signal to the group reaches the host and nothing of the demo.
struct HostProcess {
    let pid: pid_t

    /// Starts `executable` with `arguments`, its output going where the demo's goes.
    init(executable: String, arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = [executable] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, nil, &attributes, &pointers, environ)
        guard spawned == 0 else { throw HostProcessError(errno: spawned) }
        self.pid = pid
    }

    /// Sends `signal` to the host.
    func signal(_ signal: Int32) {
        kill(pid, signal)
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

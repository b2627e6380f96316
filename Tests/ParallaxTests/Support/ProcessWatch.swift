import CParallaxSystem
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for any process (not only a child) to end, through a pidfd: an event, not polling.
struct ProcessWatch {
    struct OpenError: Error {
        var errno: Int32
    }

    let pidFD: Int32

    init(pid: Int32) throws {
        pidFD = cpx_pidfd_open(pid)
        guard pidFD >= 0 else { throw OpenError(errno: errno) }
    }

    /// Whether the process ended within `timeout`. Closes the pidfd.
    func wait(timeout: Duration) -> Bool {
        defer { close(pidFD) }
        var fds = [pollfd(fd: pidFD, events: Int16(POLLIN), revents: 0)]
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        var ready: Int32
        repeat { ready = poll(&fds, 1, milliseconds) } while ready < 0 && errno == EINTR
        return ready == 1
    }

    /// Whether the process `pid` ends within `timeout`; true when it has ended already.
    static func ends(_ pid: Int32, within timeout: Duration) -> Bool {
        guard let watch = try? ProcessWatch(pid: pid) else { return errno == ESRCH }
        return watch.wait(timeout: timeout)
    }

    /// Whether a process with this pid exists now.
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}

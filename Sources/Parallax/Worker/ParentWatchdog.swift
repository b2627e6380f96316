import CParallaxSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a worker learns that its channel ended, and whether its parent died: a thread that waits
/// for the request pipe to hang up (the parent closed it or died) and ends the process then,
/// whatever its tasks are doing; a pidfd of the parent; and the parent's goodbye frame, which says
/// that the parent closes the channel on purpose and lives on.
enum ParentWatchdog {
    /// A pidfd of the parent, or -1: readable once the parent has died.
    private static let parentPidFD = Atomic<Int32>(-1)
    /// The parent sent ``Frame/Kind/goodbye``: it closes the channel on purpose and lives on.
    private static let goodbye = Atomic<Bool>(false)
    /// An eventfd the reader signals when it reads the goodbye, or -1.
    private static let goodbyeEvent = Atomic<Int32>(-1)
    /// How long a worker whose channel ended without a goodbye waits to learn that its parent
    /// died. The parent's descriptors close a moment before its death can be seen, so the check
    /// waits; a goodbye that the reader reads meanwhile ends the wait at once, and a parent that
    /// lives on answers the question by the end of it.
    static let parentDeathWait: Int32 = 250  // milliseconds

    /// Opens a pidfd of the parent while it is known alive, ends the process at once when it
    /// died before this worker started, and starts the thread that waits for `requestFD` to hang
    /// up.
    static func start(requestFD: Int32) {
        goodbyeEvent.store(cpx_eventfd(), ordering: .releasing)
        if let expected = getenv(WorkerLaunch.parentVariable).flatMap({ Int32(String(cString: $0)) }) {
            parentPidFD.store(cpx_pidfd_open(expected), ordering: .releasing)
            if getppid() != expected {
                endAfterHangUp()  // the parent died before this worker started
            }
        }
        OSThread.detach(name: "px-watchdog") { exitWhenTheParentHangsUp(requestFD) }
    }

    /// The reader read the parent's goodbye.
    static func goodbyeReceived() {
        goodbye.store(true, ordering: .releasing)
        let event = goodbyeEvent.load(ordering: .acquiring)
        if event >= 0 { cpx_eventfd_signal(event) }  // a check for the parent's death may wait for it
    }

    /// Whether the parent said goodbye.
    static var parentSaidGoodbye: Bool { goodbye.load(ordering: .acquiring) }

    /// Blocks until the request pipe has no writer left (the parent closed it or died), then ends
    /// the process, whatever its tasks are doing.
    private static func exitWhenTheParentHangsUp(_ requestFD: Int32) {
        var fds = [pollfd(fd: requestFD, events: 0, revents: 0)]
        while true {
            let ready = poll(&fds, 1, -1)
            if ready < 0, errno == EINTR { continue }
            if ready > 0, fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { break }
        }
        endAfterHangUp()
    }

    /// Ends the process after its channel ended. When the parent died, no one else will stop
    /// what this worker's tasks started, so the worker ends its session and its process group
    /// (which it leads; see `cpx_spawn`), itself last.
    static func endAfterHangUp() -> Never {
        cpx_flush_stdout()
        if !parentSaidGoodbye, parentHasDied(), getsid(0) == getpid() {
            _ = cpx_kill_session(getpid(), SIGKILL, getpid())
            _ = cpx_kill_own_group(SIGKILL)
        }
        _exit(WorkerExit.done.rawValue)
    }

    /// Whether the parent has died, waiting up to ``parentDeathWait`` to find out; a goodbye read
    /// meanwhile answers no.
    private static func parentHasDied() -> Bool {
        let descriptor = parentPidFD.load(ordering: .acquiring)
        guard descriptor >= 0 else {
            // No pidfd: a parent that died has handed this process to another.
            let expected = getenv(WorkerLaunch.parentVariable).flatMap { Int32(String(cString: $0)) }
            return expected != nil && getppid() != expected
        }
        var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: goodbyeEvent.load(ordering: .acquiring), events: Int16(POLLIN), revents: 0),
        ]
        var ready: Int32
        repeat { ready = poll(&fds, 2, parentDeathWait) } while ready < 0 && errno == EINTR
        return ready > 0 && fds[0].revents != 0 && !parentSaidGoodbye
    }
}

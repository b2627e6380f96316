import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's dead-man switch: when its pool's lease deadline (on the board the pool shares
/// with its workers, ``LeaseBoard``) passes without being pushed on, the worker ends itself, its
/// session and its process group, as it does when its parent dies.
///
/// A pool whose parent holds a lease on a queue pushes the deadline on with every renewal. A
/// parent that freezes (SIGSTOP, a stalled machine) can neither renew nor kill; its workers then
/// end on their own before another host may take their tasks. A thread of its own waits for the
/// deadline, so that nothing a task does can hold it up.
enum LeaseDeadline {
    /// Set in a worker's environment when descriptor ``CPX_LEASE_BOARD_FD`` is its pool's lease board.
    static let boardVariable = "PARALLAX_WORKER_LEASE_BOARD"

    /// Maps the board the worker was given, if any, and starts the thread that watches it.
    static func start() {
        guard getenv(boardVariable) != nil else { return }
        let board = cpx_lease_board_map(CPX_LEASE_BOARD_FD)
        close(CPX_LEASE_BOARD_FD)  // mapped: nothing the tasks start should inherit it
        guard let board else { return }
        let address = UInt(bitPattern: board)
        OSThread.detach(name: "px-lease") { watch(UnsafeMutableRawPointer(bitPattern: address)!) }
    }

    /// Waits for the deadline, again after every change; ends the worker when it passes.
    private static func watch(_ board: UnsafeMutableRawPointer) -> Never {
        while true {
            var change: UInt32 = 0
            let deadline = cpx_lease_board_read(board, &change)
            if deadline == 0 {
                cpx_lease_board_wait(board, change, -1)
                continue
            }
            let now = cpx_boottime_ns()
            if now >= deadline { break }
            cpx_lease_board_wait(board, change, Int64(clamping: deadline - now))
        }
        let message =
            "parallax worker: its pool's lease deadline passed with no renewal from the parent; ending\n"
        message.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
        cpx_flush_stdout()
        if getsid(0) == getpid() { _ = cpx_kill_session(getpid(), SIGKILL, getpid()) }
        _ = cpx_kill_own_group(SIGKILL)
        _exit(WorkerExit.leaseLapsed.rawValue)
    }
}

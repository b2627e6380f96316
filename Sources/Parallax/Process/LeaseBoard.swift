import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A page a pool shares with its workers, holding the lease deadline of the workers' dead-man
/// switch (see ``LeaseDeadline``): the parent writes it, every worker's own thread waits on it.
/// Shared memory rather than a frame, so that a worker whose reader thread is busy running a task
/// still sees every renewal, and a renewal costs the parent one store and one wake-up, however
/// many workers there are.
package final class LeaseBoard: Sendable {
    /// The memfd of the page, passed to every worker the pool starts.
    package let fd: Int32
    /// The mapped page, as an address: the board is only ever touched through atomics in the C
    /// shim, from any thread.
    private let address: UInt
    private var board: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: address)! }

    /// Creates a board with no deadline, or returns `nil` when the system refuses the memory.
    package init?() {
        let fd = cpx_lease_board_create()
        guard fd >= 0 else { return nil }
        guard let board = cpx_lease_board_map(fd) else {
            close(fd)
            return nil
        }
        self.fd = fd
        self.address = UInt(bitPattern: board)
    }

    deinit {
        munmap(board, Int(sysconf(Int32(_SC_PAGESIZE))))
        close(fd)
    }

    /// Sets the deadline to `delay` from now, or clears it.
    package func set(after delay: Duration?) {
        guard let delay else { return cpx_lease_board_set(board, 0) }
        let (seconds, attoseconds) = max(delay, .nanoseconds(1)).components
        let nanoseconds = UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
        cpx_lease_board_set(board, cpx_boottime_ns() &+ nanoseconds)
    }
}

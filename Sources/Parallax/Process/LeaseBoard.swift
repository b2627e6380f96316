import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A page a pool shares with its workers, holding the lease deadline of the workers' dead-man
/// switch (see ``LeaseDeadline``): the parent writes it, every worker's own thread waits on it.
/// Shared memory rather than a frame, so that a worker whose reader thread is busy running a task
/// still sees every renewal, and a renewal costs the parent one store and one wake-up, however
/// many workers there are. It lives while the pool runs: ``close()`` releases it once the last
/// worker has ended.
package final class LeaseBoard: Sendable {
    private struct Mapped {
        var fd: Int32
        /// The page's address: the board is only ever touched through atomics in the C shim.
        var address: UInt
    }

    private let mapped: Locked<Mapped?>

    /// Creates a board with no deadline, or returns `nil` when the system refuses the memory.
    package init?() {
        let fd = cpx_lease_board_create()
        guard fd >= 0 else { return nil }
        guard let board = cpx_lease_board_map(fd) else {
            Glibc.close(fd)
            return nil
        }
        mapped = Locked(Mapped(fd: fd, address: UInt(bitPattern: board)))
    }

    deinit {
        close()
    }

    /// The memfd of the page, passed to every worker the pool starts; -1 once closed.
    package var fd: Int32 { mapped.withLock { $0?.fd ?? -1 } }

    /// Sets the deadline to `delay` from now, or clears it; nothing once closed.
    package func set(after delay: Duration?) {
        var deadline: UInt64 = 0
        if let delay {
            let (seconds, attoseconds) = max(delay, .nanoseconds(1)).components
            deadline =
                cpx_boottime_ns() &+ UInt64(max(0, seconds)) &* 1_000_000_000
                &+ UInt64(attoseconds / 1_000_000_000)
        }
        mapped.withLock { mapped in
            guard let mapped, let board = UnsafeMutableRawPointer(bitPattern: mapped.address) else { return }
            cpx_lease_board_set(board, deadline)
        }
    }

    /// Releases the page and its descriptor; the workers keep their own mappings.
    package func close() {
        mapped.withLock { mapped in
            guard let current = mapped else { return }
            mapped = nil
            munmap(UnsafeMutableRawPointer(bitPattern: current.address), Int(sysconf(Int32(_SC_PAGESIZE))))
            Glibc.close(current.fd)
        }
    }
}

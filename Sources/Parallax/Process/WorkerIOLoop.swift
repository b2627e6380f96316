import CParallaxSystem
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The body of a worker's I/O thread: frames from the reply pipe while it is the pipe's reader
/// (see ``ReplyChannel``), lines from stdout and stderr, then reaping. See ``WorkerProcess``.
package struct WorkerIOLoop: Sendable {
    let pid: Int32
    /// A descriptor of the loop's own for the process, readable once it has ended; -1 if none.
    let exitFD: Int32
    let replies: ReplyChannel
    let stdoutFD: Int32
    let stderrFD: Int32
    let logger: Logger

    /// What ``run()`` leaves for ``reap(_:)``.
    package struct Ended: Sendable {
        /// The session of the worker was searched for processes already.
        var sessionEnded = false
    }

    /// Runs until the process has ended; closes the channel and both streams. The process is not
    /// reaped yet: its pid still names its session for ``reap(_:)``, which the caller runs after
    /// it has passed the report on, so that a replacement need not wait for it.
    package func run() -> (ExitReport, Ended) {
        var ended = Ended()
        var stdoutLines = LineSplitter()
        var stderrLines = LineSplitter()
        var tail: [String] = []
        var replyOpen = true
        // Without a pidfd the I/O thread always reads the pipe: it learns of the end from it.
        var exitSeen = exitFD < 0
        // The wake-up, the reply pipe, stdout, stderr and the pidfd; a negative descriptor is
        // skipped by poll.
        var fds = [
            pollfd(fd: replies.wakeDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: -1, events: Int16(POLLIN), revents: 0),
        ]
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var drainDeadline: ContinuousClock.Instant?
        // When to look for the worker's session if its output is still open by then.
        var sessionScan: ContinuousClock.Instant?

        func stderrLine(_ line: String) {
            logger.notice("\(line)", metadata: ["parallax.stream": "stderr"])
            tail.append(line)
            if tail.count > WorkerProcess.stderrTailLines {
                tail.removeFirst(tail.count - WorkerProcess.stderrTailLines)
            }
        }
        func stdoutLine(_ line: String) {
            logger.info("\(line)", metadata: ["parallax.stream": "stdout"])
        }

        while replyOpen || fds[2].fd >= 0 || fds[3].fd >= 0 {
            let reading = replyOpen && replies.ioThreadReads
            if let scanAt = sessionScan, ContinuousClock.now >= scanAt, fds[2].fd >= 0 || fds[3].fd >= 0 {
                // The worker is gone and its channel closed, yet its output stays open: a process
                // it started in a group of its own holds it (Foundation's `Process` does that).
                sessionScan = nil
                ended.sessionEnded = true
                _ = cpx_kill_session(pid, SIGKILL, pid)
            }
            if exitSeen, !replyOpen, !ended.sessionEnded, sessionScan == nil {
                sessionScan = ContinuousClock.now.advanced(by: Self.outputHeldAfterExit)
            }
            if reading, replies.hasEnded {
                // End of file, or a protocol violation that killed the worker: what it still
                // writes to stdout and stderr gets a bounded time, then it is reaped.
                replyOpen = false
                replies.close()
                fds[0].fd = -1
                drainDeadline = ContinuousClock.now.advanced(by: WorkerProcess.outputDrainLimit)
                continue
            }
            fds[1].fd = reading ? replies.descriptor : -1
            // The pidfd tells that the worker ended, whoever reads the pipe: a process the worker
            // forked keeps the pipe open after the worker died, and must not hide that death.
            fds[4].fd = !exitSeen ? exitFD : -1
            var timeout: Int32 = -1
            if let deadline = drainDeadline {
                let left = ContinuousClock.now.duration(to: deadline)
                if left <= .zero { break }
                timeout = Int32(max(1, left.timeInterval * 1000))
            }
            if let scanAt = sessionScan {
                let left = Int32(max(1, ContinuousClock.now.duration(to: scanAt).timeInterval * 1000))
                timeout = timeout < 0 ? left : min(timeout, left)
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                // EINTR, or ENOMEM, which passes: a caller may be reading the pipe, so the loop
                // cannot end here.
                if errno != EINTR { usleep(1_000) }
                continue
            }
            if fds[0].fd >= 0, fds[0].revents != 0 { replies.resetWake() }
            if fds[1].fd >= 0, fds[1].revents != 0 { replies.readOnce() }
            if fds[4].fd >= 0, fds[4].revents != 0 {
                exitSeen = true
                // Not reaped yet, so the group's id names no other group: what the worker started
                // in its group dies with it, and the pipes it held close.
                _ = cpx_kill_group(pid, SIGKILL)
                replies.ensureReader()  // to read what the worker wrote last, then the end
                // What escaped the group (setsid) may hold the pipes open: they get a bounded time.
                if drainDeadline == nil {
                    drainDeadline = ContinuousClock.now.advanced(by: WorkerProcess.outputDrainLimit)
                }
            }
            for index in 2...3 where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = (try? FileDescriptorIO.read(fds[index].fd, into: buffer)) ?? 0
                if count == 0 {
                    FileDescriptorIO.close(fds[index].fd)
                    fds[index].fd = -1
                    if index == 2 {
                        if let line = stdoutLines.finish() { stdoutLine(line) }
                    } else if let line = stderrLines.finish() {
                        stderrLine(line)
                    }
                    continue
                }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                if index == 2 {
                    for line in stdoutLines.append(bytes) { stdoutLine(line) }
                } else {
                    for line in stderrLines.append(bytes) { stderrLine(line) }
                }
            }
        }
        if replyOpen { replies.close() }
        for index in 2...3 where fds[index].fd >= 0 { FileDescriptorIO.close(fds[index].fd) }
        let report = ExitReport(
            termination: awaitEnd(), stderrTail: tail, protocolError: replies.protocolError, pid: pid)
        return (report, ended)
    }

    /// How long the output of an ended worker may stay open before its session is searched for
    /// the processes that hold it: longer than the usual end of file takes to arrive.
    static let outputHeldAfterExit: Duration = .milliseconds(20)

    /// How long a process may live on after its channel and output closed before it is killed.
    static let exitGrace: Int32 = 2_000

    /// Waits for the process to end, without reaping it; kills it first if it outlives its channel
    /// by ``exitGrace``. Returns how it ended.
    private func awaitEnd() -> ProcessTermination {
        if exitFD >= 0 {
            var exited = [pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)]
            var ready: Int32
            repeat { ready = poll(&exited, 1, Self.exitGrace) } while ready < 0 && errno == EINTR
            if ready == 0 { kill(pid, SIGKILL) }
            FileDescriptorIO.close(exitFD)
        }
        var value: Int32 = 0
        switch cpx_wait_for_end(pid, &value) {
        case 1: return .exited(value)
        case 2: return .signaled(value)
        default: return .exited(-1)
        }
    }

    /// Kills every process left in the ended worker's process group and session (what its tasks
    /// started; the worker leads both, see `cpx_spawn`), then reaps the worker. Until it is
    /// reaped, the worker's pid, the id of both, cannot name another process's group or session.
    package func reap(_ ended: Ended) {
        _ = cpx_kill_group(pid, SIGKILL)
        if !ended.sessionEnded { _ = cpx_kill_session(pid, SIGKILL, pid) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }
}

import CParallaxSystem
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The body of a worker's I/O thread: frames from the reply pipe, lines from stdout and stderr,
/// then reaping. See ``WorkerProcess``.
package struct WorkerIOLoop: Sendable {
    let pid: Int32
    /// A descriptor of the loop's own for the process, readable once it has ended; -1 if none.
    let exitFD: Int32
    let replyFD: Int32
    let stdoutFD: Int32
    let stderrFD: Int32
    let maximumFrameSize: Int
    let logger: Logger
    let onFrame: @Sendable (Frame) -> Void
    /// Called after the frames of one read were handed to `onFrame`, so that what they caused can
    /// be written to the worker in one go.
    let onReadEnd: @Sendable () -> Void

    /// Runs until the process has ended and was reaped; closes the three descriptors.
    package func run() -> ExitReport {
        var decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
        var stdoutLines = LineSplitter()
        var stderrLines = LineSplitter()
        var tail: [String] = []
        var protocolError: ProtocolError?
        var fds = [
            pollfd(fd: replyFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0),
        ]
        let bufferSize = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var drainDeadline: ContinuousClock.Instant?

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

        while fds.contains(where: { $0.fd >= 0 }) {
            var timeout: Int32 = -1
            if let deadline = drainDeadline {
                let left = ContinuousClock.now.duration(to: deadline)
                if left <= .zero { break }
                timeout = Int32(max(1, left.timeInterval * 1000))
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count: Int
                do {
                    count = try FileDescriptorIO.read(fds[index].fd, into: buffer)
                } catch {
                    count = 0
                }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                if count == 0 {
                    FileDescriptorIO.close(fds[index].fd)
                    fds[index].fd = -1
                    switch index {
                    case 0:
                        if protocolError == nil, decoder.bufferedByteCount > 0 {
                            protocolError = ProtocolError(.truncated(missing: decoder.missingByteCount))
                        }
                        drainDeadline = ContinuousClock.now.advanced(by: WorkerProcess.outputDrainLimit)
                    case 1: if let line = stdoutLines.finish() { stdoutLine(line) }
                    default: if let line = stderrLines.finish() { stderrLine(line) }
                    }
                    continue
                }
                switch index {
                case 0:
                    decoder.append(bytes)
                    do {
                        defer { onReadEnd() }
                        while let frame = try decoder.next() { onFrame(frame) }
                    } catch {
                        protocolError = error
                        logger.error(
                            "worker broke the channel protocol, stopping it",
                            metadata: ["parallax.error": "\(error)"])
                        kill(pid, SIGKILL)  // not reaped yet: the pid is still ours
                        FileDescriptorIO.close(fds[0].fd)
                        fds[0].fd = -1
                        drainDeadline = ContinuousClock.now.advanced(by: WorkerProcess.outputDrainLimit)
                    }
                case 1: for line in stdoutLines.append(bytes) { stdoutLine(line) }
                default: for line in stderrLines.append(bytes) { stderrLine(line) }
                }
            }
        }
        for fd in fds where fd.fd >= 0 { FileDescriptorIO.close(fd.fd) }
        return ExitReport(
            termination: reap(), stderrTail: tail, protocolError: protocolError, pid: pid)
    }

    /// How long a process may live on after its channel and output closed before it is killed.
    static let exitGrace: Int32 = 2_000

    /// Waits for the process; kills it first if it outlives its channel by ``exitGrace``.
    private func reap() -> ProcessTermination {
        if exitFD >= 0 {
            var exited = [pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)]
            var ready: Int32
            repeat { ready = poll(&exited, 1, Self.exitGrace) } while ready < 0 && errno == EINTR
            if ready == 0 { kill(pid, SIGKILL) }
            FileDescriptorIO.close(exitFD)
        }
        var status: Int32 = 0
        var result: Int32
        repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
        guard result == pid else { return .exited(-1) }
        var value: Int32 = 0
        var core: Int32 = 0
        switch cpx_decode_wait_status(status, &value, &core) {
        case 1: return .exited(value)
        case 2: return .signaled(value)
        default: return .exited(-1)
        }
    }
}

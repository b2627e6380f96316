import CParallaxSystem
import Dispatch
package import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The parent's handle on one running worker process.
///
/// A worker process owns four pipes: requests (parent to worker, fd 3 in the worker), replies
/// (worker to parent, fd 4), stdout and stderr. One I/O thread per worker polls both output
/// streams, logging their lines and keeping the stderr tail, and reads the replies whenever no
/// caller does (see ``replies``): it decodes frames and hands them to the ``WorkerProcessDelegate``.
/// When the reply pipe closes it drains the output streams (bounded), tells the delegate the
/// process exited, and reaps it.
/// The process is signalled through a pidfd, so a signal can never reach a recycled pid.
package final class WorkerProcess: Sendable {
    package let pid: Int32
    package let slot: Int
    private let requestFD: Int32
    /// The pidfd (-1 when the kernel has none), and whether the process has ended (no signal
    /// reaches it after that).
    private let handle: Locked<(pidFD: Int32, ended: Bool)>
    private let writer: Locked<WriterState>
    private let outbox = Locked(Outbox())
    /// The reply pipe, read by the I/O thread or by a caller waiting for its answer.
    package let replies: ReplyChannel
    /// Set once the process ended, everything it started was killed, and it was reaped: after
    /// ``WorkerProcessDelegate/exited(_:)`` and ``allowReaping()``.
    package let reaped = Latch()
    /// Signalled by ``allowReaping()``.
    private let reapingAllowed = DispatchSemaphore(value: 0)
    /// How long an ended worker waits for ``allowReaping()`` at most.
    static let reapingDelayLimit: Duration = .seconds(1)

    /// The pipe buffer asked for each direction of the channel; the kernel may grant less.
    package static let channelBufferSize: Int32 = 1 << 20

    /// Lines of stderr kept for a crash report.
    package static let stderrTailLines = 64
    /// How long output may keep flowing after the channel closed before the process is reaped.
    package static let outputDrainLimit: Duration = .seconds(1)

    /// How many jobs the worker may hold at once (the pool's pipeline depth).
    private let heldJobs: Int

    /// Starts a worker process.
    ///
    /// - Parameters:
    ///   - launch: What to run.
    ///   - slot: The pool slot, passed to the worker and used in log metadata.
    ///   - heldJobs: How many jobs the pool sends the worker at most at once.
    ///   - maximumPayloadSize: The largest payload accepted from the worker.
    ///   - logger: Receives the worker's output lines.
    ///   - delegate: Hears every frame the worker sends and its end.
    /// - Throws: ``FileDescriptorIO/SystemError`` when pipes or the process cannot be created.
    package init(
        launch: WorkerLaunch, slot: Int, heldJobs: Int = 1, maximumPayloadSize: Int, logger: Logger,
        delegate: any WorkerProcessDelegate
    ) throws(FileDescriptorIO.SystemError) {
        let requests = try FileDescriptorIO.makePipe()
        var opened = [requests.read, requests.write]
        func closeAll() { for fd in opened { FileDescriptorIO.close(fd) } }
        let replies: (read: Int32, write: Int32)
        let output: (read: Int32, write: Int32)
        let errors: (read: Int32, write: Int32)
        do {
            replies = try FileDescriptorIO.makePipe()
            opened += [replies.read, replies.write]
            output = try FileDescriptorIO.makePipe()
            opened += [output.read, output.write]
            errors = try FileDescriptorIO.makePipe()
            opened += [errors.read, errors.write]
        } catch {
            closeAll()
            throw error
        }

        // Large channel buffers let a big frame cross in a few reads instead of many wake-ups.
        for fd in [requests.write, replies.write] { _ = cpx_set_pipe_size(fd, Self.channelBufferSize) }

        var pid: pid_t = 0
        let argv = [launch.path] + launch.arguments
        let environment = launch.environment(slot: slot).map { "\($0.key)=\($0.value)" }
        let rc = withCStrings(argv) { argvPointers in
            withCStrings(environment) { envPointers in
                cpx_spawn(
                    launch.program, argvPointers, envPointers, requests.read, replies.write, output.write,
                    errors.write, launch.leaseBoardFD, &pid)
            }
        }
        // The child holds its own copies now; keep only the parent's ends.
        for fd in [requests.read, replies.write, output.write, errors.write] { FileDescriptorIO.close(fd) }
        guard rc == 0 else {
            for fd in [requests.write, replies.read, output.read, errors.read] { FileDescriptorIO.close(fd) }
            throw FileDescriptorIO.SystemError("posix_spawn \(launch.path)", errno: rc)
        }
        var logger = logger
        logger[metadataKey: "parallax.worker.pid"] = "\(pid)"
        logger[metadataKey: "parallax.worker.slot"] = "\(slot)"
        let pidFD = cpx_pidfd_open(pid)
        let exitFD = pidFD >= 0 ? fcntl(pidFD, F_DUPFD_CLOEXEC, 0) : -1
        do {
            self.replies = try ReplyChannel(
                descriptor: replies.read, pid: pid, maximumPayloadSize: maximumPayloadSize,
                lends: exitFD >= 0,
                logger: logger, delegate: delegate)
        } catch {
            for fd in [requests.write, replies.read, output.read, errors.read, pidFD, exitFD] where fd >= 0 {
                FileDescriptorIO.close(fd)
            }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw error
        }
        self.pid = pid
        self.slot = slot
        self.heldJobs = max(1, heldJobs)
        self.requestFD = requests.write
        self.handle = Locked((pidFD, false))
        self.writer = Locked(WriterState())

        let io = WorkerIOLoop(
            pid: pid, exitFD: exitFD, replies: self.replies, stdoutFD: output.read, stderrFD: errors.read,
            logger: logger)
        OSThread.detach(name: "px-io-\(pid)") {
            var (report, ended) = io.run()
            report.neverRead = self.runFramesNeverRead()
            // Ended: its descriptors go now, not when the last reference to this object does
            // (a pending timer may hold one long after the pool stopped).
            self.releaseDescriptors()
            delegate.exited(report)
            // After the report and once a replacement is ready (``allowReaping()``), bounded:
            // the search of /proc for what the worker started slows a process that starts at the
            // same time. What the worker started dies, then the worker is reaped.
            _ = self.reapingAllowed.wait(timeout: .now() + Self.reapingDelayLimit.timeInterval)
            io.reap(ended)
            self.reaped.set()
        }
    }

    deinit {
        releaseDescriptors()
    }

    /// Closes the request pipe and the pidfd. Under the handle's lock, so that ``signal(_:)``
    /// never uses a descriptor number or a pid that was reused for another process.
    private func releaseDescriptors() {
        closeRequests()
        handle.withLock { handle in
            if handle.pidFD >= 0 { FileDescriptorIO.close(handle.pidFD) }
            handle = (-1, true)
        }
    }

    private struct WriterState {
        /// The request pipe was closed by ``closeRequests()``.
        var isClosed = false
        /// A write failed: the worker is gone.
        var isBroken = false
        /// Every byte written to the request pipe so far, frames cut short by a failed write too.
        var bytesWritten = 0
        /// The newest run frames written whole, with the stream offset where each ends, oldest
        /// first; as many as the worker may hold jobs, so the one it runs is always among them.
        var recentRuns: [(id: UInt64, end: Int)] = []
        /// The frames being written, swapped with the outbox so that neither allocates.
        var writing: [Frame] = []
        /// Several small frames are copied here and written with one system call.
        var batch: [UInt8] = []
    }

    /// Frames up to this many bytes in all are joined into one write; larger ones are written one
    /// by one, straight from their payloads.
    private static let batchLimit = 64 * 1024

    /// Queues a frame for ``flush()``. A frame the pool's state machine numbered (`sequence`) is
    /// written only after every frame numbered before it (see ``Outbox``), so the worker receives
    /// them in the order the machine assigned them, whichever thread queues or flushes them.
    package func enqueue(kind: Frame.Kind, id: UInt64, payload: [UInt8], sequence: UInt64?) {
        let frame = Frame(kind: kind, id: id, payload: payload)
        outbox.withLock { $0.add(frame, sequence: sequence) }
    }

    /// Writes every queued frame, in order.
    /// - Returns: The ids of the run frames that could not be written because the worker is
    ///   gone; it never saw them.
    package func flush() -> [UInt64] {
        writer.withLock { writer in
            var unsent: [UInt64] = []
            while true {
                outbox.withLock { $0.takeReady(into: &writer.writing) }
                if writer.writing.isEmpty { return unsent }
                defer { writer.writing.removeAll(keepingCapacity: true) }
                let written = writer.isClosed || writer.isBroken ? 0 : write(&writer)
                guard written < writer.writing.count else { continue }
                // Once a write failed the worker is gone: nothing after it can arrive either.
                writer.isBroken = true
                for frame in writer.writing[written...] where frame.kind.startsTask {
                    unsent.append(frame.id)
                }
            }
        }
    }

    /// Writes `writer.writing` to the request pipe, keeping the account of the stream that
    /// ``runFramesNeverRead()`` reads. Returns how many frames were written whole before a write
    /// failed.
    private func write(_ writer: inout WriterState) -> Int {
        let start = writer.bytesWritten
        let written = Frame.write(
            to: requestFD, writer.writing, joiningUpTo: Self.batchLimit, scratch: &writer.batch)
        writer.bytesWritten += written.bytes
        var end = start
        for frame in writer.writing[..<written.frames] {
            end += Frame.headerSize + frame.payload.count
            guard frame.kind.startsTask else { continue }
            if writer.recentRuns.count == heldJobs { writer.recentRuns.removeFirst() }
            writer.recentRuns.append((frame.id, end))
        }
        return written.frames
    }

    /// The run frames that the ended worker never read whole, so never started: the bytes still
    /// in the request pipe are the end of the stream, and a frame that ends inside them was not
    /// taken off the pipe. Empty when the parent closed the pipe itself.
    private func runFramesNeverRead() -> [UInt64] {
        writer.withLock { writer in
            guard !writer.isClosed else { return [] }
            let unread = cpx_pipe_unread_bytes(requestFD)
            guard unread > 0 else { return [] }
            let readUpTo = writer.bytesWritten - Int(unread)
            return writer.recentRuns.filter { $0.end > readUpTo }.map(\.id)
        }
    }

    /// Writes one frame at once, outside the outbox; for the raw round trips of
    /// ``WorkerPool/pingRoundTrips(_:)``, with nothing queued. Returns false if the worker is gone.
    package func writeNow(kind: Frame.Kind, id: UInt64, payload: [UInt8]) -> Bool {
        writer.withLock { writer in
            guard !writer.isClosed, !writer.isBroken else { return false }
            var written = 0
            defer { writer.bytesWritten += written }  // every byte on the pipe is in the account
            return (try? Frame.write(to: requestFD, kind: kind, id: id, payload: payload, counting: &written))
                != nil
        }
    }

    /// Benchmark support: writes `frames` at once, joined in as few writes as the outbox joins
    /// frames. Returns false if the worker is gone.
    package func writeNow(_ frames: [Frame]) -> Bool {
        writer.withLock { writer in
            guard !writer.isClosed, !writer.isBroken else { return false }
            let written = Frame.write(
                to: requestFD, frames, joiningUpTo: Self.batchLimit, scratch: &writer.batch)
            writer.bytesWritten += written.bytes
            return written.frames == frames.count
        }
    }

    /// Lets the I/O thread of an ended worker kill what the worker started and reap it: once its
    /// replacement is ready, or its slot stops. Without it, that happens a moment after the end.
    package func allowReaping() {
        reapingAllowed.signal()
    }

    /// Closes the request pipe: the worker reads end of file and exits when it is idle.
    ///
    /// A goodbye frame goes first, without blocking (a worker that stopped reading does not hold
    /// the parent up), so that the worker knows the parent lives on and its process group is the
    /// parent's to end.
    package func closeRequests() {
        writer.withLock { writer in
            guard !writer.isClosed else { return }
            writer.isClosed = true
            if !writer.isBroken, cpx_set_nonblocking(requestFD) == 0 {
                _ = try? Frame.write(to: requestFD, kind: .goodbye, id: 0, payload: [])
            }
            FileDescriptorIO.close(requestFD)
        }
    }

    /// Sends a signal to the process, if it still exists.
    package func signal(_ signal: Int32) {
        handle.withLock { handle in
            if handle.pidFD >= 0 {
                _ = cpx_pidfd_send_signal(handle.pidFD, signal)
            } else if !handle.ended {
                // No pidfd on this kernel: the pid, which stays ours until the I/O thread reaps it.
                _ = kill(pid, signal)
            }
        }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R)
    -> R
{
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

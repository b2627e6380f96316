import CParallaxSystem
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A worker's reply pipe, and which thread reads it.
///
/// The worker's I/O thread reads the pipe while the worker holds jobs. While it holds none, nobody
/// reads it, and a caller whose job goes to the idle worker may claim the pipe and read the answer
/// on its own thread: the answer then reaches the caller without waking the I/O thread and without
/// a hop to another thread. The caller gives the pipe back when its answer arrived, when its wait
/// ran out or when the pipe ended; whenever a job is sent that no caller waits on, the I/O thread
/// reads again. ``ReplyPipeReader`` states the protocol, and each move here is one of its
/// transitions, made with one compare-and-exchange.
///
/// Whoever reads owns the frame decoder and the read buffer. The reader passes on with
/// acquire-release ordering, so each reader sees what the one before it left.
package final class ReplyChannel: @unchecked Sendable {
    private typealias Reader = ReplyPipeReader

    /// The read end of the reply pipe.
    let descriptor: Int32
    /// An eventfd that wakes the I/O thread when it is to read again.
    let wakeDescriptor: Int32
    /// Whether ``wakeDescriptor`` is still open; taken around every signal so that none reaches
    /// a descriptor number after the I/O thread closed it.
    private let wakeOpen = Locked<Bool>(true)
    private let pid: Int32
    private let logger: Logger
    private let delegate: any WorkerProcessDelegate
    private let reader = Atomic<UInt8>(Reader.ioThread.rawValue)
    /// Whether callers may claim the pipe: only when the I/O thread learns of the worker's end
    /// without reading the pipe (a pidfd).
    private let lends: Bool

    // Owned by the reader.
    private var decoder: FrameDecoder
    private let buffer: UnsafeMutableRawBufferPointer
    /// The pipe reached end of file, or the worker broke the protocol and was killed.
    private(set) var hasEnded = false
    /// Why the parent stopped the worker, if the channel's bytes were not valid frames.
    private(set) var protocolError: ProtocolError?

    /// - Parameters:
    ///   - descriptor: The read end of the reply pipe.
    ///   - pid: The worker, killed when it breaks the protocol.
    ///   - lends: Whether callers may claim the pipe while the worker holds no job.
    /// - Throws: ``FileDescriptorIO/SystemError`` when the eventfd cannot be created.
    init(
        descriptor: Int32, pid: Int32, maximumPayloadSize: Int, lends: Bool, logger: Logger,
        delegate: any WorkerProcessDelegate
    ) throws(FileDescriptorIO.SystemError) {
        let wake = cpx_eventfd()
        guard wake >= 0 else { throw FileDescriptorIO.SystemError("eventfd", errno: errno) }
        self.descriptor = descriptor
        self.wakeDescriptor = wake
        self.pid = pid
        self.lends = lends
        self.logger = logger
        self.delegate = delegate
        self.decoder = FrameDecoder(maximumPayloadSize: maximumPayloadSize)
        self.buffer = .allocate(byteCount: 256 * 1024, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    // MARK: Reading, by whoever reads

    /// Reads once, hands every complete frame to the delegate, then tells it the read ended.
    /// Only the current reader calls this.
    func readOnce() {
        let count = (try? FileDescriptorIO.read(descriptor, into: buffer)) ?? 0
        guard count > 0 else {
            if decoder.bufferedByteCount > 0 {
                protocolError = ProtocolError(.truncated(missing: decoder.missingByteCount))
            }
            hasEnded = true
            return
        }
        decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        do {
            while let frame = try decoder.next() { delegate.received(frame) }
        } catch {
            protocolError = error
            hasEnded = true
            logger.error(
                "worker broke the channel protocol, stopping it", metadata: ["parallax.error": "\(error)"])
            kill(pid, SIGKILL)  // not reaped yet: the I/O thread reaps only once it reads again
        }
        // Last: for the I/O thread, it may hand the pipe on (``releaseFromIOThread()``).
        delegate.readEnded()
    }

    // MARK: The I/O thread

    /// Whether the I/O thread reads the pipe now.
    var ioThreadReads: Bool {
        reader.load(ordering: .acquiring) == Reader.ioThread.rawValue
    }

    /// Called by the I/O thread when the worker holds no job: nobody reads until a job is sent.
    /// Kept when a frame is half read or the pipe ended. A no-op when a caller reads.
    func releaseFromIOThread() {
        guard lends, !hasEnded, decoder.bufferedByteCount == 0 else { return }
        make(.release)
    }

    /// Clears the I/O thread's wake-up.
    func resetWake() {
        cpx_eventfd_reset(wakeDescriptor)
    }

    /// Closes both descriptors; the I/O thread calls this once it read the pipe to its end.
    func close() {
        FileDescriptorIO.close(descriptor)
        wakeOpen.withLock { open in
            if open { FileDescriptorIO.close(wakeDescriptor) }
            open = false
        }
    }

    // MARK: Everyone else

    /// Makes sure the pipe is read: when nobody reads it, the I/O thread does from now on.
    package func ensureReader() {
        if make(.ensureReader) { wakeIOThread() }
    }

    /// Claims the pipe for the calling thread; fails unless nobody reads it.
    package func claim() -> Bool {
        make(.claim)
    }

    /// Reads on the calling thread, which holds a claim, until `done` returns true, the pipe ends
    /// or `timeout` passed. The thread polls the pipe for the first `polling` of that time, then
    /// blocks in the kernel.
    /// - Returns: Whether `done` became true while the thread polled.
    @discardableResult
    package func read(until done: () -> Bool, timeout: Duration, polling: Duration = .zero) -> Bool {
        var left = timeout.wholeNanoseconds
        var pollLeft = polling.wholeNanoseconds
        var readyWhilePolling = false
        var slept = false
        while !done(), !hasEnded, left > 0 {
            let before = left
            let outcome = cpx_wait_readable(descriptor, &left, pollLeft)
            pollLeft = max(0, pollLeft - (before - left))
            guard outcome > 0 else { return false }
            if outcome == 2 { readyWhilePolling = true } else { slept = true }
            readOnce()
        }
        return readyWhilePolling && !slept && done()
    }

    /// Benchmark support: one blocking read of whatever the worker sent, for a caller that counts
    /// fixed-size frames itself. Returns how many bytes came; 0 when the pipe ended.
    package func readAvailable() -> Int {
        guard !hasEnded, decoder.bufferedByteCount == 0 else { return 0 }
        return (try? FileDescriptorIO.read(descriptor, into: buffer)) ?? 0
    }

    /// Reads exactly one frame of `count` bytes with blocking reads, as a raw ping-pong does, and
    /// checks that it is a pong with `id`; the caller holds a claim and nothing else is pending.
    package func readPong(id: UInt64, count: Int) -> Bool {
        guard !hasEnded, decoder.bufferedByteCount == 0, count >= Frame.headerSize else { return false }
        func read(into range: Range<Int>) -> Int {
            (try? FileDescriptorIO.read(
                descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[range])))
                ?? 0
        }
        // The header, then the payload a buffer at a time: a large pong does not fit the buffer.
        var offset = 0
        while offset < Frame.headerSize {
            let count = read(into: offset..<Frame.headerSize)
            guard count > 0 else { return false }
            offset += count
        }
        let header = UnsafeRawBufferPointer(buffer)
        let matches =
            header[Frame.kindOffset] == Frame.Kind.pong.rawValue
            && header.loadLittleEndian(UInt64.self, at: Frame.idOffset) == id
        var remaining = count - Frame.headerSize
        while remaining > 0 {
            let count = read(into: 0..<min(remaining, buffer.count))
            guard count > 0 else { return false }
            remaining -= count
        }
        return matches
    }

    /// Gives the pipe back after a claim: to nobody when the worker holds no other job and no
    /// frame is half read, otherwise to the I/O thread. The pool calls this under its lock, where
    /// it knows what the worker holds.
    /// - Returns: Whether the I/O thread must be woken (``wakeIOThread()``), which the pool does
    ///   after its lock.
    package func giveBack(othersPending: Bool) -> Bool {
        let move: Reader.Move =
            othersPending || hasEnded || decoder.bufferedByteCount > 0
            ? .giveBackToIOThread : .giveBackToNobody
        make(move)
        return Reader.wakesIOThread(move)
    }

    /// Makes a move of the protocol: one compare-and-exchange from the reader it starts from.
    /// Returns whether the pipe was there, and so moved.
    @discardableResult
    private func make(_ move: Reader.Move) -> Bool {
        let transition = Reader.transition(move)
        return reader.compareExchange(
            expected: transition.from.rawValue, desired: transition.to.rawValue,
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Wakes the I/O thread, to read the pipe again.
    package func wakeIOThread() {
        wakeOpen.withLock { open in
            if open { cpx_eventfd_signal(wakeDescriptor) }
        }
    }
}

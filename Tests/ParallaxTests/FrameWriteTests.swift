import Testing

@testable import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// Writing queued frames to a pipe: joined into one write when small, one by one when large, and
/// counted whole up to where a write failed.
@Suite struct FrameWriteTests {
    /// A pipe; the write end non-blocking when asked, so that a full pipe fails a write at once.
    private struct Pipe {
        let readEnd: Int32
        let writeEnd: Int32

        init(nonBlocking: Bool = false, capacity: Int32? = nil) {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            readEnd = fds[0]
            writeEnd = fds[1]
            if let capacity { _ = fcntl(writeEnd, 1031, capacity) }  // F_SETPIPE_SZ
            if nonBlocking { _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK) }
        }

        func drain() -> [Frame] {
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
            var decoder = FrameDecoder(maximumFrameSize: 1 << 24)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                decoder.append(Array(buffer[0..<count]))
            }
            var frames: [Frame] = []
            while let frame = try? decoder.next() { frames.append(frame) }
            return frames
        }

        func close() {
            _ = Glibc.close(readEnd)
            _ = Glibc.close(writeEnd)
        }
    }

    private func frames(_ count: Int, payloadSize: Int) -> [Frame] {
        (0..<count).map { index in
            Frame(
                kind: .run, id: UInt64(index + 1),
                payload: (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
    }

    /// Joined (many small frames), one by one (over the limit), and a single frame; within the
    /// pipe's 64 KiB, so that nothing blocks without a reader.
    @Test(arguments: [(8, 100, 65_536), (3, 15_000, 1_024), (1, 10, 65_536)])
    func queuedFramesArriveWholeAndInOrder(count: Int, payloadSize: Int, limit: Int) {
        let pipe = Pipe()
        defer { pipe.close() }
        let sent = frames(count, payloadSize: payloadSize)
        var scratch: [UInt8] = []
        #expect(Frame.write(to: pipe.writeEnd, sent, joiningUpTo: limit, scratch: &scratch).frames == count)
        #expect(pipe.drain() == sent)
    }

    @Test func aWriteThatStopsPartWayCountsOnlyTheFramesWrittenWhole() {
        // A 4 KiB pipe takes four frames of 1,013 bytes and part of the fifth.
        let pipe = Pipe(nonBlocking: true, capacity: 4_096)
        defer { pipe.close() }
        let sent = frames(10, payloadSize: 1_000)
        var scratch: [UInt8] = []
        let written = Frame.write(to: pipe.writeEnd, sent, joiningUpTo: 64 * 1024, scratch: &scratch)
        #expect(written.frames == 4)
        // The bytes count the part of the fifth frame too: the parent's account of the stream.
        #expect(written.bytes == 4_096)
        #expect(pipe.drain() == Array(sent.prefix(4)))
    }

    @Test func framesWrittenOneByOneStopAtTheFirstThatFails() {
        // Over the joining limit, each frame is its own write: the full pipe fails the second.
        let pipe = Pipe(nonBlocking: true, capacity: 4_096)
        defer { pipe.close() }
        let sent = frames(3, payloadSize: 3_000)
        var scratch: [UInt8] = []
        let written = Frame.write(to: pipe.writeEnd, sent, joiningUpTo: 1_024, scratch: &scratch)
        #expect(written.frames == 1)
        // The first frame whole; a write under PIPE_BUF goes in whole or not at all.
        #expect(written.bytes == Frame.headerSize + 3_000)
        #expect(pipe.drain().first == sent[0])
    }

    @Test func aPipeWithNoReaderTakesNoFrame() {
        signal(SIGPIPE, SIG_IGN)
        let pipe = Pipe()
        _ = Glibc.close(pipe.readEnd)
        defer { _ = Glibc.close(pipe.writeEnd) }
        var scratch: [UInt8] = []
        let written = Frame.write(
            to: pipe.writeEnd, frames(5, payloadSize: 10), joiningUpTo: 64 * 1024, scratch: &scratch)
        #expect(written.frames == 0)
        #expect(written.bytes == 0)
    }
}

import CParallaxSystem
import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// This executable in its smallest mode: a process that echoes fixed-size messages over pipes on
/// the descriptors of a worker's channel (3 and 4), with blocking reads and writes and nothing
/// else. The bench times its spawn and exit; the round-trip floor is a ping-pong with a worker
/// itself (``Measurements/roundTrips()``).
enum PipeFloor {
    static let echoArgument = "__parallax-echo-floor"
    static let messageSize = 16

    /// The child side: echoes fixed-size messages until end of file.
    static func serveEcho() -> Never {
        var buffer = [UInt8](repeating: 0, count: messageSize)
        while readExactly(3, &buffer) {
            guard writeExactly(4, buffer) else { break }
        }
        exit(0)
    }

    /// A running echo child.
    struct Echo: ~Copyable {
        let pid: pid_t
        let requestFD: Int32
        let replyFD: Int32

        init() throws {
            var request: [Int32] = [-1, -1]
            var reply: [Int32] = [-1, -1]
            var output: [Int32] = [-1, -1]
            guard cpx_pipe_cloexec(&request) == 0, cpx_pipe_cloexec(&reply) == 0,
                cpx_pipe_cloexec(&output) == 0
            else { throw BenchError("pipe failed") }
            var pid: pid_t = 0
            let path = "/proc/self/exe"
            let arguments = [path, PipeFloor.echoArgument]
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let rc = argv.withUnsafeMutableBufferPointer { argvBuffer in
                cpx_spawn(
                    path, argvBuffer.baseAddress, environ, request[0], reply[1], output[1], output[1], -1,
                    &pid)
            }
            for fd in [request[0], reply[1], output[0], output[1]] { close(fd) }
            guard rc == 0 else { throw BenchError("spawning the echo process failed: \(rc)") }
            self.pid = pid
            self.requestFD = request[1]
            self.replyFD = reply[0]
        }

        /// One round trip.
        func roundTrip(_ message: inout [UInt8]) {
            _ = writeExactly(requestFD, message)
            _ = readExactly(replyFD, &message)
        }

        deinit {
            close(requestFD)
            close(replyFD)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    static func readExactly(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeMutableBytes {
                read(fd, $0.baseAddress! + offset, $0.count - offset)
            }
            if count <= 0 {
                if count < 0, errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    static func writeExactly(_ fd: Int32, _ buffer: [UInt8]) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count <= 0 {
                if count < 0, errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

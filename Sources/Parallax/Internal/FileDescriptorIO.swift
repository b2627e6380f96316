import CParallaxSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Blocking reads and writes on raw descriptors, retrying on `EINTR`.
package enum FileDescriptorIO {
    /// An `errno` value from a failed system call.
    package struct SystemError: Error, Sendable, CustomStringConvertible {
        package var call: String
        package var errno: Int32

        package init(_ call: String, errno: Int32) {
            self.call = call
            self.errno = errno
        }

        package var description: String { "\(call) failed: \(String(cString: strerror(errno))) (\(errno))" }
    }

    /// Writes every byte, looping over short writes.
    /// - Throws: ``SystemError`` on a write error, such as `EPIPE` when the reader is gone.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemError("write", errno: code)
            }
            offset += written
        }
    }

    /// Writes the bytes of an array until they are all written or a write fails.
    /// - Returns: How many bytes were written.
    package static func writePrefix(_ fd: Int32, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    break
                }
                offset += written
            }
            return offset
        }
    }

    /// Writes every byte of an array.
    /// - Throws: ``SystemError`` on a write error.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        let failure = bytes.withUnsafeBytes { buffer -> SystemError? in
            do throws(SystemError) {
                try writeAll(fd, buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes `head` then `body` with `writev`, without joining them first.
    /// - Throws: ``SystemError`` on a write error.
    package static func writeAll(
        _ fd: Int32, _ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer
    ) throws(SystemError) {
        var written = 0
        try writeAll(fd, head, body, counting: &written)
    }

    /// Writes `head` then `body` as ``writeAll(_:_:_:)`` does, counting in `written` the bytes
    /// that went out, also when a write fails part way.
    /// - Throws: ``SystemError`` on a write error.
    package static func writeAll(
        _ fd: Int32, _ head: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer,
        counting written: inout Int
    ) throws(SystemError) {
        written = 0
        let total = head.count + body.count
        var vectors = (iovec(), iovec())
        while written < total {
            let count = withUnsafeMutableBytes(of: &vectors) { raw -> Int in
                let vector = raw.bindMemory(to: iovec.self)
                var used = 0
                if written < head.count {
                    vector[used] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress! + written),
                        iov_len: head.count - written)
                    used += 1
                }
                let bodyOffset = max(0, written - head.count)
                if body.count > bodyOffset {
                    vector[used] = iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress! + bodyOffset),
                        iov_len: body.count - bodyOffset)
                    used += 1
                }
                return writev(fd, vector.baseAddress, Int32(used))
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemError("writev", errno: code)
            }
            written += count
        }
    }

    /// Reads up to `buffer.count` bytes. Returns 0 at end of file.
    /// - Throws: ``SystemError`` on a read error.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError)
        -> Int
    {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            let code = errno
            if code == EINTR { continue }
            throw SystemError("read", errno: code)
        }
    }

    /// Creates a pipe whose two ends close on exec.
    /// - Throws: ``SystemError`` when the process is out of descriptors.
    package static func makePipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard cpx_pipe_cloexec(&fds) == 0 else { throw SystemError("pipe2", errno: errno) }
        return (fds[0], fds[1])
    }

    /// Closes a descriptor, ignoring errors (the descriptor is gone either way on Linux).
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}

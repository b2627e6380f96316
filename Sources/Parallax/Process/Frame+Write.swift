// Kept out of Wire/, which the fuzz targets build on their own, without the descriptor helpers.
extension Frame {
    /// Writes a frame to `fd`: its header, built on the stack, and its payload, in one `writev`.
    /// - Throws: ``FileDescriptorIO/SystemError`` on a write error.
    package static func write(
        to fd: Int32, kind: Kind, id: UInt64, payload: [UInt8]
    ) throws(FileDescriptorIO.SystemError) {
        var written = 0
        try write(to: fd, kind: kind, id: id, payload: payload, counting: &written)
    }

    /// Writes a frame as ``write(to:kind:id:payload:)`` does, counting in `written` the bytes that
    /// went out, also when a write fails part way.
    /// - Throws: ``FileDescriptorIO/SystemError`` on a write error.
    package static func write(
        to fd: Int32, kind: Kind, id: UInt64, payload: [UInt8], counting written: inout Int
    ) throws(FileDescriptorIO.SystemError) {
        let failure = withHeader(kind: kind, id: id, payloadCount: payload.count) {
            header -> FileDescriptorIO.SystemError? in
            payload.withUnsafeBytes { body in
                do throws(FileDescriptorIO.SystemError) {
                    try FileDescriptorIO.writeAll(fd, header, body, counting: &written)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure { throw failure }
    }

    /// Writes `frames` to `fd` in order: joined in `scratch` and written with as few system calls
    /// as the descriptor takes when there are several and they total at most `limit` bytes, else
    /// one by one from their payloads.
    /// - Returns: How many frames were written whole before a write failed, and how many bytes
    ///   were written in all: the frame after the whole ones may have been written in part.
    package static func write(
        to fd: Int32, _ frames: [Frame], joiningUpTo limit: Int, scratch: inout [UInt8]
    ) -> (frames: Int, bytes: Int) {
        var total = 0
        for frame in frames { total += headerSize + frame.payload.count }
        guard frames.count > 1, total <= limit else {
            var bytes = 0
            for (index, frame) in frames.enumerated() {
                var written = 0
                let sent =
                    (try? write(
                        to: fd, kind: frame.kind, id: frame.id, payload: frame.payload, counting: &written))
                    != nil
                bytes += written
                guard sent else { return (index, bytes) }
            }
            return (frames.count, bytes)
        }
        scratch.removeAll(keepingCapacity: true)
        for frame in frames { frame.append(to: &scratch) }
        let written = FileDescriptorIO.writePrefix(fd, scratch)
        var end = 0
        for (index, frame) in frames.enumerated() {
            end += headerSize + frame.payload.count
            if end > written { return (index, written) }
        }
        return (frames.count, written)
    }
}

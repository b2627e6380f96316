// Kept out of Wire/, which the fuzz targets build on their own, without the descriptor helpers.
extension Frame {
    /// Writes a frame to `fd`: its header, built on the stack, and its payload, in one `writev`.
    /// - Throws: ``FileDescriptorIO/SystemError`` on a write error.
    package static func write(
        to fd: Int32, kind: Kind, id: UInt64, payload: [UInt8]
    ) throws(FileDescriptorIO.SystemError) {
        let failure = withHeader(kind: kind, id: id, payloadCount: payload.count) {
            header -> FileDescriptorIO.SystemError? in
            payload.withUnsafeBytes { body in
                do throws(FileDescriptorIO.SystemError) {
                    try FileDescriptorIO.writeAll(fd, header, body)
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
    /// - Returns: How many frames were written whole before a write failed; the frame after them
    ///   may have been written in part.
    package static func write(
        to fd: Int32, _ frames: [Frame], joiningUpTo limit: Int, scratch: inout [UInt8]
    ) -> Int {
        var total = 0
        for frame in frames { total += headerSize + frame.payload.count }
        guard frames.count > 1, total <= limit else {
            for (index, frame) in frames.enumerated() {
                guard (try? write(to: fd, kind: frame.kind, id: frame.id, payload: frame.payload)) != nil
                else { return index }
            }
            return frames.count
        }
        scratch.removeAll(keepingCapacity: true)
        for frame in frames { frame.append(to: &scratch) }
        let written = FileDescriptorIO.writePrefix(fd, scratch)
        var end = 0
        for (index, frame) in frames.enumerated() {
            end += headerSize + frame.payload.count
            if end > written { return index }
        }
        return frames.count
    }
}

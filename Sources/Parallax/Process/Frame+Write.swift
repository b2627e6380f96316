// Kept out of Wire/, which the fuzz targets build on their own, without the descriptor helpers.
extension Frame {
    /// Writes a frame to `fd`: its header, built on the stack, and its payload, in one `writev`.
    /// - Throws: ``FileDescriptorIO/SystemError`` on a write error.
    package static func write(
        to fd: Int32, kind: Kind, id: UInt64, payload: [UInt8]
    ) throws(FileDescriptorIO.SystemError) {
        // length (4), kind (1), id (8), stored as two words and read from byte 3 on.
        var words = (UInt64(0), UInt64(0))
        let length = UInt32(truncatingIfNeeded: 1 + 8 + payload.count)
        let failure = withUnsafeMutableBytes(of: &words) { raw -> FileDescriptorIO.SystemError? in
            raw.storeBytes(of: length.littleEndian, toByteOffset: 3, as: UInt32.self)
            raw.storeBytes(of: kind.rawValue, toByteOffset: 7, as: UInt8.self)
            raw.storeBytes(of: id.littleEndian, toByteOffset: 8, as: UInt64.self)
            let header = UnsafeRawBufferPointer(rebasing: raw[3..<16])
            return payload.withUnsafeBytes { body in
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
}

/// Integers in byte buffers, in the one byte order of the wire: little-endian. Every fixed-width
/// field of frames, payloads and the codec is written and read through these.
extension Array where Element == UInt8 {
    /// Appends `value`, little-endian.
    @inlinable @inline(__always)
    package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Writes `value`, little-endian, over the bytes at `offset`, which must exist.
    @inlinable @inline(__always)
    package mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeLittleEndian(value, at: offset) }
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Writes `value`, little-endian, at `offset`, which must be in bounds.
    @inlinable @inline(__always)
    package func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian `T` at `offset`, which must be in bounds; no alignment needed.
    @inlinable @inline(__always)
    package func loadLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

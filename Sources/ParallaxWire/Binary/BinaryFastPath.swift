/// Special cases that skip the generic `Encodable` path: raw byte and number arrays. The
/// metatype checks make the casts exact, so `unsafeBitCast` replaces a dynamic `as?` cast that may
/// walk an array element by element.
enum BinaryFastPath {
    static func encode<T>(_ value: T, into output: inout [UInt8]) -> Bool {
        // Common scalars: written directly, without an encoder object.
        if T.self == Int.self {
            BinaryScalar.int(unsafeBitCast(value, to: Int.self), &output)
            return true
        }
        if T.self == String.self {
            BinaryScalar.string(unsafeBitCast(value, to: String.self), &output)
            return true
        }
        if T.self == Double.self {
            BinaryScalar.double(unsafeBitCast(value, to: Double.self), &output)
            return true
        }
        if T.self == Bool.self {
            BinaryScalar.bool(unsafeBitCast(value, to: Bool.self), &output)
            return true
        }
        if T.self == [UInt8].self {
            let bytes = unsafeBitCast(value, to: [UInt8].self)
            output.reserveCapacity(output.count + BinaryTag.lengthPrefixedHeaderSize + bytes.count)
            output.append(BinaryTag.bytes.rawValue)
            append(UInt32(bytes.count), to: &output)
            output.append(contentsOf: bytes)
            return true
        }
        if T.self == [Double].self {
            let doubles = unsafeBitCast(value, to: [Double].self)
            output.append(BinaryTag.doubles.rawValue)
            append(UInt32(doubles.count), to: &output)
            doubles.withUnsafeBytes { raw in
                // Little-endian hosts store Double bits in wire order already.
                output.append(contentsOf: raw.assumingMemoryBound(to: UInt8.self))
            }
            return true
        }
        if T.self == [Int].self, MemoryLayout<Int>.size == 8 {
            let ints = unsafeBitCast(value, to: [Int].self)
            output.append(BinaryTag.ints.rawValue)
            append(UInt32(ints.count), to: &output)
            ints.withUnsafeBytes { output.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
            return true
        }
        return false
    }

    static func append<I: FixedWidthInteger>(_ value: I, to output: inout [UInt8]) {
        output.appendLittleEndian(value)
    }

    /// Appends `value` as a LEB128 varint: 7 bits a byte, low bits first.
    static func appendVarint(_ value: UInt64, to output: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }
}

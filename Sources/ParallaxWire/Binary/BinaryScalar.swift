/// Scalar writers shared by the three container kinds.
enum BinaryScalar {
    static func bool(_ value: Bool, _ out: inout [UInt8]) {
        out.append(value ? BinaryTag.true.rawValue : BinaryTag.false.rawValue)
    }

    static func int<I: FixedWidthInteger & SignedInteger>(_ value: I, _ out: inout [UInt8]) {
        out.append(BinaryTag.int.rawValue)
        let wide = Int64(value)
        // Zigzag: small magnitudes of either sign take few bytes.
        BinaryFastPath.appendVarint(UInt64(bitPattern: (wide << 1) ^ (wide >> 63)), to: &out)
    }

    static func uint<I: FixedWidthInteger & UnsignedInteger>(_ value: I, _ out: inout [UInt8]) {
        out.append(BinaryTag.uint.rawValue)
        BinaryFastPath.appendVarint(UInt64(value), to: &out)
    }

    static func double(_ value: Double, _ out: inout [UInt8]) {
        out.append(BinaryTag.double.rawValue)
        BinaryFastPath.append(value.bitPattern, to: &out)
    }

    static func float(_ value: Float, _ out: inout [UInt8]) {
        out.append(BinaryTag.float.rawValue)
        BinaryFastPath.append(value.bitPattern, to: &out)
    }

    static func string(_ value: String, _ out: inout [UInt8]) {
        out.append(BinaryTag.string.rawValue)
        var value = value
        value.withUTF8 { utf8 in
            BinaryFastPath.appendVarint(UInt64(utf8.count), to: &out)
            out.append(contentsOf: utf8)
        }
    }

    static func key(_ name: String, _ out: inout [UInt8]) {
        var name = name
        name.withUTF8 { utf8 in
            BinaryFastPath.appendVarint(UInt64(utf8.count), to: &out)
            out.append(contentsOf: utf8)
        }
    }
}

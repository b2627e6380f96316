/// Scalar readers shared by the three container kinds.
enum BinaryScalarDecode {
    static func mismatch(_ type: Any.Type, _ tag: BinaryTag, _ path: [any CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            DecodingError.Context(
                codingPath: path, debugDescription: "expected \(type), found a \(tag) value"))
    }

    static func isNil(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Bool
    {
        try input.tag(at: offset, path()) == .null
    }

    static func bool(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Bool
    {
        switch try input.tag(at: offset, path()) {
        case .true: return true
        case .false: return false
        case let tag: throw mismatch(Bool.self, tag, path())
        }
    }

    @inline(__always)
    static func integer<I: FixedWidthInteger>(
        _: I.Type, _ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]
    ) throws -> I {
        // Range checks by truncation and sign: `I(exactly:)` from a generic source is a call into
        // the standard library that the specialization of this function cannot inline.
        switch try input.tag(at: offset, path()) {
        case .int:
            let zigzag = try input.varint(at: offset + BinaryTag.tagSize, path()).value
            let wide = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            let narrow = I(truncatingIfNeeded: wide)
            if Int64(truncatingIfNeeded: narrow) == wide, (narrow < 0) == (wide < 0) { return narrow }
        case .uint:
            let wide = try input.varint(at: offset + BinaryTag.tagSize, path()).value
            let narrow = I(truncatingIfNeeded: wide)
            if UInt64(truncatingIfNeeded: narrow) == wide, narrow >= 0 { return narrow }
        case let tag: throw mismatch(I.self, tag, path())
        }
        throw input.corrupted(path(), "the number does not fit in \(I.self)")
    }

    static func double(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Double
    {
        switch try input.tag(at: offset, path()) {
        case .double:
            return Double(bitPattern: try input.load(UInt64.self, at: offset + BinaryTag.tagSize, path()))
        case .float:
            return Double(
                Float(bitPattern: try input.load(UInt32.self, at: offset + BinaryTag.tagSize, path())))
        case let tag: throw mismatch(Double.self, tag, path())
        }
    }

    static func float(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> Float
    {
        switch try input.tag(at: offset, path()) {
        case .float:
            return Float(bitPattern: try input.load(UInt32.self, at: offset + BinaryTag.tagSize, path()))
        case .double:
            return Float(
                Double(bitPattern: try input.load(UInt64.self, at: offset + BinaryTag.tagSize, path())))
        case let tag: throw mismatch(Float.self, tag, path())
        }
    }

    static func string(_ input: BinaryInput, _ offset: Int, _ path: @autoclosure () -> [any CodingKey]) throws
        -> String
    {
        let tag = try input.tag(at: offset, path())
        guard tag == .string else { throw mismatch(String.self, tag, path()) }
        return try input.string(at: offset + BinaryTag.tagSize, path())
    }
}

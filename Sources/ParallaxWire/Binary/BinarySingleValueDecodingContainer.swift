struct BinarySingleValueDecodingContainer: SingleValueDecodingContainer {
    let input: BinaryInput
    let offset: Int
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { (try? BinaryScalarDecode.isNil(input, offset, codingPath)) ?? false }
    func decode(_ type: Bool.Type) throws -> Bool { try BinaryScalarDecode.bool(input, offset, codingPath) }
    func decode(_ type: String.Type) throws -> String {
        try BinaryScalarDecode.string(input, offset, codingPath)
    }
    func decode(_ type: Double.Type) throws -> Double {
        try BinaryScalarDecode.double(input, offset, codingPath)
    }
    func decode(_ type: Float.Type) throws -> Float {
        try BinaryScalarDecode.float(input, offset, codingPath)
    }
    func decode(_ type: Int.Type) throws -> Int {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int8.Type) throws -> Int8 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int16.Type) throws -> Int16 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int32.Type) throws -> Int32 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: Int64.Type) throws -> Int64 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt.Type) throws -> UInt {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt8.Type) throws -> UInt8 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt16.Type) throws -> UInt16 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt32.Type) throws -> UInt32 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }
    func decode(_ type: UInt64.Type) throws -> UInt64 {
        try BinaryScalarDecode.integer(type, input, offset, codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try BinaryDecodingState.decode(T.self, input: input, at: offset, codingPath: codingPath)
    }
}

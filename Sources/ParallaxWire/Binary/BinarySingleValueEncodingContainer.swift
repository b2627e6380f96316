struct BinarySingleValueEncodingContainer: SingleValueEncodingContainer {
    let state: BinaryEncodingState
    var codingPath: [any CodingKey] { state.codingPath }

    private func set(_ write: (inout [UInt8]) -> Void) {
        var bytes: [UInt8] = []
        write(&bytes)
        state.setScalar(bytes)
    }

    mutating func encodeNil() throws { set { $0.append(BinaryTag.null.rawValue) } }
    mutating func encode(_ value: Bool) throws { set { BinaryScalar.bool(value, &$0) } }
    mutating func encode(_ value: String) throws { set { BinaryScalar.string(value, &$0) } }
    mutating func encode(_ value: Double) throws { set { BinaryScalar.double(value, &$0) } }
    mutating func encode(_ value: Float) throws { set { BinaryScalar.float(value, &$0) } }
    mutating func encode(_ value: Int) throws { set { BinaryScalar.int(value, &$0) } }
    mutating func encode(_ value: Int8) throws { set { BinaryScalar.int(value, &$0) } }
    mutating func encode(_ value: Int16) throws { set { BinaryScalar.int(value, &$0) } }
    mutating func encode(_ value: Int32) throws { set { BinaryScalar.int(value, &$0) } }
    mutating func encode(_ value: Int64) throws { set { BinaryScalar.int(value, &$0) } }
    mutating func encode(_ value: UInt) throws { set { BinaryScalar.uint(value, &$0) } }
    mutating func encode(_ value: UInt8) throws { set { BinaryScalar.uint(value, &$0) } }
    mutating func encode(_ value: UInt16) throws { set { BinaryScalar.uint(value, &$0) } }
    mutating func encode(_ value: UInt32) throws { set { BinaryScalar.uint(value, &$0) } }
    mutating func encode(_ value: UInt64) throws { set { BinaryScalar.uint(value, &$0) } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        var bytes: [UInt8] = []
        if BinaryFastPath.encode(value, into: &bytes) {
            state.setScalar(bytes)
            return
        }
        let nested = BinaryEncodingState(codingPath: codingPath)
        try value.encode(to: nested)
        nested.write(into: &bytes)
        state.setScalar(bytes)
    }
}

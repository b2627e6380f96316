struct BinaryKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: BinaryNode
    let codingPath: [any CodingKey]

    private func begin(_ key: Key) {
        begin(name: key.stringValue)
    }

    private func begin(name: String) {
        node.count += 1
        BinaryScalar.key(name, &node.bytes)
    }

    mutating func encodeNil(forKey key: Key) throws {
        begin(key)
        node.bytes.append(BinaryTag.null.rawValue)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        begin(key)
        BinaryScalar.bool(value, &node.bytes)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        begin(key)
        BinaryScalar.string(value, &node.bytes)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        begin(key)
        BinaryScalar.double(value, &node.bytes)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        begin(key)
        BinaryScalar.float(value, &node.bytes)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        begin(key)
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws {
        begin(key)
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        begin(key)
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        begin(key)
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        begin(key)
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        begin(key)
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        begin(key)
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        begin(key)
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        begin(key)
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        begin(key)
        BinaryScalar.uint(value, &node.bytes)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try BinaryEncodingState.encode(value, into: node, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        begin(key)
        let child = BinaryNode(tag: .keyed)
        node.appendChild(child)
        return KeyedEncodingContainer(
            BinaryKeyedEncodingContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        let child = BinaryNode(tag: .unkeyed)
        node.appendChild(child)
        return BinaryUnkeyedEncodingContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        begin(name: BinarySuperKey.name)
        return BinaryNestedEncoder(parent: node, codingPath: codingPath + [BinarySuperKey()])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        begin(key)
        return BinaryNestedEncoder(parent: node, codingPath: codingPath + [key])
    }
}

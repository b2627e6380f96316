struct BinaryUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let node: BinaryNode
    let codingPath: [any CodingKey]
    var count: Int { Int(node.count) }

    private var nextPath: [any CodingKey] { codingPath + [BinaryIndexKey(index: Int(node.count))] }

    mutating func encodeNil() throws {
        node.count += 1
        node.bytes.append(BinaryTag.null.rawValue)
    }

    mutating func encode(_ value: Bool) throws {
        node.count += 1
        BinaryScalar.bool(value, &node.bytes)
    }
    mutating func encode(_ value: String) throws {
        node.count += 1
        BinaryScalar.string(value, &node.bytes)
    }
    mutating func encode(_ value: Double) throws {
        node.count += 1
        BinaryScalar.double(value, &node.bytes)
    }
    mutating func encode(_ value: Float) throws {
        node.count += 1
        BinaryScalar.float(value, &node.bytes)
    }
    mutating func encode(_ value: Int) throws {
        node.count += 1
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int8) throws {
        node.count += 1
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int16) throws {
        node.count += 1
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int32) throws {
        node.count += 1
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: Int64) throws {
        node.count += 1
        BinaryScalar.int(value, &node.bytes)
    }
    mutating func encode(_ value: UInt) throws {
        node.count += 1
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt8) throws {
        node.count += 1
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt16) throws {
        node.count += 1
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt32) throws {
        node.count += 1
        BinaryScalar.uint(value, &node.bytes)
    }
    mutating func encode(_ value: UInt64) throws {
        node.count += 1
        BinaryScalar.uint(value, &node.bytes)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        node.count += 1
        try BinaryEncodingState.encode(value, into: node, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let path = nextPath
        node.count += 1
        let child = BinaryNode(tag: .keyed)
        node.appendChild(child)
        return KeyedEncodingContainer(BinaryKeyedEncodingContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        node.count += 1
        let child = BinaryNode(tag: .unkeyed)
        node.appendChild(child)
        return BinaryUnkeyedEncodingContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        node.count += 1
        return BinaryNestedEncoder(parent: node, codingPath: path)
    }
}

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

/// The encoder returned by `superEncoder`: whatever it encodes becomes the next value of its
/// parent container.
final class BinaryNestedEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    private let state: BinaryEncodingState

    init(parent: BinaryNode, codingPath: [any CodingKey]) {
        self.codingPath = codingPath
        self.state = BinaryEncodingState(codingPath: codingPath)
        // The super value is written in its place when the parent is written.
        parent.appendChild(DeferredValueNode(state: state))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        state.container(keyedBy: type)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { state.unkeyedContainer() }

    func singleValueContainer() -> any SingleValueEncodingContainer { state.singleValueContainer() }
}

/// A node that writes the value a super encoder produced, whenever that is.
final class DeferredValueNode: BinaryNode {
    let state: BinaryEncodingState

    init(state: BinaryEncodingState) {
        self.state = state
        super.init(tag: .keyed)
    }

    override func write(into output: inout [UInt8]) {
        state.write(into: &output)
    }
}

/// A coding key for the position of an element in an unkeyed container.
struct BinaryIndexKey: CodingKey {
    let index: Int
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }

    init(index: Int) {
        self.index = index
    }

    init?(stringValue: String) { nil }

    init?(intValue: Int) {
        self.index = intValue
    }
}

/// The key `superEncoder()` and `superDecoder()` use, whatever the container's key type.
struct BinarySuperKey: CodingKey {
    static let name = "super"
    var stringValue: String { Self.name }
    var intValue: Int? { nil }

    init() {}

    init?(stringValue: String) {
        guard stringValue == Self.name else { return nil }
    }

    init?(intValue: Int) { nil }
}

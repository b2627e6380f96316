/// The `Encoder` handed to a value's `encode(to:)`. It records the one value the encoding
/// produced: scalar bytes, or a composite node.
final class BinaryEncodingState: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    @exclusivity(unchecked) private(set) var scalar: [UInt8] = []
    @exclusivity(unchecked) private(set) var node: BinaryNode?
    /// The output this value is appended to, for the value being encoded: its container is
    /// written in place after these bytes.
    @exclusivity(unchecked) private var prefix: [UInt8]?
    @exclusivity(unchecked) private var nodeIsInPlace = false

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let node = claim(.keyed)
        return KeyedEncodingContainer(BinaryKeyedEncodingContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncodingContainer(node: claim(.unkeyed), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncodingContainer(state: self)
    }

    /// Takes `output` over: a container of this value is written in place after its bytes.
    func adopt(_ output: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &output)
        prefix = taken
    }

    /// Gives the output back with this value appended, or as it was when `failed`.
    func finish(into output: inout [UInt8], failed: Bool) {
        if nodeIsInPlace, let node {
            if failed {
                output = Array(node.bytes[0..<(node.bodyStart - 1 - BinaryTag.compositeHeaderSize)])
            } else {
                node.finishInPlace(into: &output)
            }
            return
        }
        output = prefix ?? []
        prefix = nil
        if !failed { write(into: &output) }
    }

    /// The node of the container this value is encoded as; a second request for the same kind
    /// returns the same node, as `Encoder` requires.
    private func claim(_ tag: BinaryTag) -> BinaryNode {
        if let node, node.tag == tag { return node }
        if nodeIsInPlace, let node {
            // Another kind of container replaces the first: the output's bytes go with it.
            prefix = Array(node.bytes[0..<(node.bodyStart - 1 - BinaryTag.compositeHeaderSize)])
            nodeIsInPlace = false
        }
        let created: BinaryNode
        if let taken = prefix {
            prefix = nil
            created = BinaryNode(tag: tag, after: taken)
            nodeIsInPlace = true
        } else {
            created = BinaryNode(tag: tag)
        }
        node = created
        return created
    }

    func setScalar(_ bytes: [UInt8]) {
        scalar = bytes
    }

    /// Appends the encoded value; an encoding that wrote nothing is an empty keyed container, as in
    /// Foundation's coders.
    func write(into output: inout [UInt8]) {
        if let node {
            node.write(into: &output)
        } else if !scalar.isEmpty {
            output.append(contentsOf: scalar)
        } else {
            BinaryNode(tag: .keyed).write(into: &output)
        }
    }

    /// Encodes a nested value into `node`, as the next value of a container.
    static func encode<T: Encodable>(_ value: T, into node: BinaryNode, codingPath: [any CodingKey]) throws {
        if BinaryFastPath.encode(value, into: &node.bytes) { return }
        let state = BinaryEncodingState(codingPath: codingPath)
        try value.encode(to: state)
        if let child = state.node {
            node.appendChild(child)
        } else {
            state.write(into: &node.bytes)
        }
    }
}

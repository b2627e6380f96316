/// Encodes `Encodable` values in the compact binary format of ``BinaryTag``.
///
/// Values are written straight into byte buffers: scalars into the buffer of the container that
/// holds them, composites into a node of their own that is spliced into its parent when the
/// encoding ends, so containers may be used in any order that `Encodable` allows. The container
/// of the value being encoded writes into the output itself, after what the output already
/// holds, and its header is patched in place when nothing is nested in it.
package enum BinaryEncoder {
    /// Encodes a value.
    /// - Throws: `EncodingError` from the value's own `encode(to:)`.
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        try encode(value, into: &output)
        return output
    }

    /// Appends the encoding of `value` to `output`; on a throw `output` is left as it was.
    /// - Throws: `EncodingError` from the value's own `encode(to:)`.
    package static func encode<T: Encodable>(_ value: T, into output: inout [UInt8]) throws {
        if BinaryFastPath.encode(value, into: &output) { return }
        let encoder = BinaryEncodingState(codingPath: [])
        encoder.adopt(&output)
        do {
            try value.encode(to: encoder)
        } catch {
            encoder.finish(into: &output, failed: true)
            throw error
        }
        encoder.finish(into: &output, failed: false)
    }
}

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

/// One composite value being encoded: its header fields and its bytes, with the composites
/// nested in it spliced in at their offsets when written out.
///
/// Nodes live for one encoding, on one thread, and every access to their buffers is a short
/// append: the dynamic exclusivity checks are off for their fields.
class BinaryNode {
    let tag: BinaryTag
    @exclusivity(unchecked) final var count: UInt32 = 0
    @exclusivity(unchecked) final var bytes: [UInt8]
    @exclusivity(unchecked) final var children: [(offset: Int, node: BinaryNode)] = []
    /// Where the body starts in `bytes`: after the output's earlier bytes and this node's header
    /// for the node written in place, 0 for the others.
    final let bodyStart: Int

    init(tag: BinaryTag) {
        self.tag = tag
        self.bytes = []
        self.bodyStart = 0
    }

    /// A node written in place after `prefix`: the header's room is reserved now.
    init(tag: BinaryTag, after prefix: consuming [UInt8]) {
        self.tag = tag
        var bytes = prefix
        bytes.append(tag.rawValue)
        bytes.append(contentsOf: repeatElement(0, count: BinaryTag.compositeHeaderSize))
        self.bodyStart = bytes.count
        self.bytes = bytes
    }

    /// Reserves the position of a value written later, such as a nested container.
    final func appendChild(_ node: BinaryNode) {
        children.append((bytes.count, node))
    }

    /// Appends the node: tag, body length (patched once the body is written), count, body.
    func write(into output: inout [UInt8]) {
        output.append(tag.rawValue)
        let headerOffset = output.count
        output.append(contentsOf: repeatElement(0, count: BinaryTag.compositeHeaderSize))
        var start = bodyStart
        for child in children {
            output.append(contentsOf: bytes[start..<child.offset])
            child.node.write(into: &output)
            start = child.offset
        }
        output.append(contentsOf: bytes[start...])
        Self.patchHeader(of: &output, at: headerOffset, count: count)
    }

    /// Takes the bytes of a node written in place, its header patched, when nothing is nested in
    /// it; else writes it after the bytes that preceded it.
    final func finishInPlace(into output: inout [UInt8]) {
        let headerOffset = bodyStart - BinaryTag.compositeHeaderSize
        if children.isEmpty {
            swap(&output, &bytes)
            Self.patchHeader(of: &output, at: headerOffset, count: count)
        } else {
            output = Array(bytes[0..<(headerOffset - 1)])
            write(into: &output)
        }
    }

    /// Fills in the body length and count of a header whose body runs to the end of `output`.
    private static func patchHeader(of output: inout [UInt8], at headerOffset: Int, count: UInt32) {
        let bodyLength = UInt32(truncatingIfNeeded: output.count - headerOffset - BinaryTag.lengthSize)
        output.withUnsafeMutableBytes { raw in
            raw.storeLittleEndian(bodyLength, at: headerOffset)
            raw.storeLittleEndian(count, at: headerOffset + BinaryTag.lengthSize)
        }
    }
}

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

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

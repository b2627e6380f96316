struct BinaryKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    typealias Entry = BinaryKeyIndex.Entry

    let input: BinaryInput
    let codingPath: [any CodingKey]
    private let index: BinaryKeyIndex

    /// Reads the entries of the keyed value at `offset` into `index`.
    init(
        input: BinaryInput, offset: Int, codingPath: [any CodingKey], index: BinaryKeyIndex = BinaryKeyIndex()
    )
        throws
    {
        self.input = input
        self.codingPath = codingPath
        self.index = index
        let tag = try input.tag(at: offset, codingPath)
        guard tag == .keyed else { throw BinaryScalarDecode.mismatch([String: Any].self, tag, codingPath) }
        let end = try input.end(ofValueAt: offset, codingPath)
        let count = try input.length(at: offset + BinaryTag.lengthPrefixedHeaderSize, codingPath)
        index.removeAll()
        var cursor = offset + BinaryTag.tagSize + BinaryTag.compositeHeaderSize
        for _ in 0..<count {
            let (keyOffset, keyLength) = try input.span(at: cursor, codingPath)
            let valueOffset = keyOffset + keyLength
            cursor = try input.end(ofValueAt: valueOffset, codingPath)
            guard cursor <= end else {
                throw input.corrupted(codingPath, "a keyed value runs past its container")
            }
            index.append(Entry(keyOffset: keyOffset, keyLength: keyLength, valueOffset: valueOffset))
        }
        guard cursor == end else {
            throw input.corrupted(codingPath, "a keyed container's length does not match its values")
        }
    }

    var allKeys: [Key] {
        (0..<index.count).compactMap { position in
            let entry = index[position]
            return (try? input.string(start: entry.keyOffset, count: entry.keyLength, codingPath)).flatMap(
                Key.init(stringValue:))
        }
    }

    func contains(_ key: Key) -> Bool {
        find(key) != nil
    }

    private func find(_ key: Key) -> Int? {
        find(name: key.stringValue)
    }

    private func find(name: String) -> Int? {
        position(of: name).map { index[$0].valueOffset }
    }

    /// Where the entry named `name` is in the index, searching from the hint on.
    @inline(__always)
    private func position(of name: String) -> Int? {
        let count = index.count
        for step in 0..<count {
            let position = (index.hint + step) % count
            let entry = index[position]
            if input.keyMatches(at: entry.keyOffset, length: entry.keyLength, name) { return position }
        }
        return nil
    }

    /// The value of `key`; the next lookup starts after it, where synthesized code asks next.
    private func offset(for key: Key) throws -> Int {
        let name = key.stringValue
        if let position = position(of: name) {
            index.hint = position + 1
            return index[position].valueOffset
        }
        throw DecodingError.keyNotFound(
            key, DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key '\(name)'")
        )
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let offset = find(key) else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "no value for key '\(key.stringValue)'"))
        }
        return try BinaryScalarDecode.isNil(input, offset, codingPath + [key])
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try BinaryScalarDecode.bool(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try BinaryScalarDecode.string(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try BinaryScalarDecode.double(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try BinaryScalarDecode.float(input, try offset(for: key), codingPath + [key])
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }

    @inline(__always)
    private func integer<I: FixedWidthInteger>(_ type: I.Type, _ key: Key) throws -> I {
        try BinaryScalarDecode.integer(I.self, input, try offset(for: key), codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try BinaryDecodingState.decode(
            T.self, input: input, at: try offset(for: key), codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(
            try BinaryKeyedDecodingContainer<NestedKey>(
                input: input, offset: try offset(for: key), codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecodingContainer(
            input: input, offset: try offset(for: key), codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        guard let offset = find(name: BinarySuperKey.name) else {
            throw DecodingError.keyNotFound(
                BinarySuperKey(),
                DecodingError.Context(codingPath: codingPath, debugDescription: "no value for key 'super'"))
        }
        return BinaryDecodingState(input: input, offset: offset, codingPath: codingPath + [BinarySuperKey()])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        BinaryDecodingState(input: input, offset: try offset(for: key), codingPath: codingPath + [key])
    }
}

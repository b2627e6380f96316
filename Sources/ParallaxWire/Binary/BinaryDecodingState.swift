/// The `Decoder` handed to a value's `init(from:)`: the value that starts at `offset`. It is the
/// key index of the value's keyed container too, which then needs no allocation of its own.
final class BinaryDecodingState: BinaryKeyIndex, Decoder {
    let input: BinaryInput
    let offset: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(input: BinaryInput, offset: Int, codingPath: [any CodingKey]) {
        self.input = input
        self.offset = offset
        self.codingPath = codingPath
    }

    static func decode<T: Decodable>(
        _ type: T.Type, input: BinaryInput, at offset: Int, codingPath: [any CodingKey]
    ) throws -> T {
        try BinaryFastDecode.decode(T.self, input: input, at: offset, codingPath) {
            guard codingPath.count < BinaryInput.maximumDepth else {
                throw input.corrupted(
                    codingPath, "values nest deeper than \(BinaryInput.maximumDepth) levels")
            }
            return try T(from: BinaryDecodingState(input: input, offset: offset, codingPath: codingPath))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(
            try BinaryKeyedDecodingContainer<Key>(
                input: input, offset: offset, codingPath: codingPath, index: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecodingContainer(input: input, offset: offset, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecodingContainer(input: input, offset: offset, codingPath: codingPath)
    }
}

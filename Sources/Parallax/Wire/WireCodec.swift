internal import FoundationEssentials

/// Encodes task inputs and outputs for the channel.
package enum WireCodec {
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        return Array(try encoder.encode(value))
    }

    package static func decode<T: Decodable>(_: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }
}

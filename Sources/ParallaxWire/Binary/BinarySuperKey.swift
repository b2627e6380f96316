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

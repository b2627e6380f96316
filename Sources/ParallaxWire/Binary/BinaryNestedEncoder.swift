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

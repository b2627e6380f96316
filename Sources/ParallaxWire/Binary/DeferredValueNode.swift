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

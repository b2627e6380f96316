/// The queue's database answered in a way the protocol does not allow.
package struct QueueError: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// One result of ``WorkerPool/mapStream(_:_:chunkSize:limit:timeout:)``: the input's index and
/// what its task produced.
public struct MapItem<Output: Sendable>: Sendable {
    /// The position of the input in the sequence given to the map.
    public var index: Int
    /// The value, or why there is none.
    public var result: TaskResult<Output>

    /// Creates an item.
    /// - Parameters:
    ///   - index: The position of the input.
    ///   - result: The outcome.
    public init(index: Int, result: TaskResult<Output>) {
        self.index = index
        self.result = result
    }
}

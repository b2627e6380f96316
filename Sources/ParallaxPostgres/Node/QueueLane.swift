/// The priority lane of a remote group's tasks.
///
/// A node shares the tasks it claims among the lanes by weight (``QueueNode/Configuration/laneWeights``,
/// 8:4:2:1 by default), so that urgent work goes first without starving the rest: while every
/// lane has ready tasks, of every 15 claimed, 8 are critical, 4 high, 2 normal and 1 low. A lane
/// with nothing ready leaves its share to the others.
public struct QueueLane: Sendable, Hashable, CustomStringConvertible {
    /// The lane's position, 0 the most urgent.
    public let index: Int

    private init(_ index: Int) {
        self.index = index
    }

    /// The most urgent lane.
    public static let critical = QueueLane(0)
    /// Ahead of normal work.
    public static let high = QueueLane(1)
    /// The lane of a group that names none.
    public static let normal = QueueLane(2)
    /// Background work: served last, but always served.
    public static let low = QueueLane(3)

    /// Every lane, the most urgent first.
    public static let all: [QueueLane] = [.critical, .high, .normal, .low]

    /// The lane's name.
    public var description: String { ["critical", "high", "normal", "low"][index] }
}

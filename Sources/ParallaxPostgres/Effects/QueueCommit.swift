public import FoundationEssentials

/// The task whose result a ``CommittedTask`` commits.
public struct QueueCommit: Sendable, Hashable {
    /// The task's id in the queue.
    public var taskID: Int64
    /// Its group.
    public var group: UUID
    /// Its slot in the group: the index of its `go`.
    public var slot: Int
    /// Which attempt computed the result (1 for the first).
    public var attempt: Int

    /// A key that names the task's effect whatever attempt computed it, for effects outside the
    /// database: the group's id and the slot.
    public var effectKey: String { "\(group.uuidString.lowercased())/\(slot)" }
}

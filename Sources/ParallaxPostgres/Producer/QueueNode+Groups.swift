public import FoundationEssentials

extension QueueNode {
    /// Creates a remote wait group on `queue`, or, when a group with `idempotencyKey` exists,
    /// returns it: its tasks are not added again (the `go` calls of a producer that runs again
    /// after a restart add only what the group lacks), and its finished tasks do not run again.
    ///
    /// This node owns the group. A group that is not `detached` lives no longer than its owner,
    /// as a child task lives no longer than its parent: once the owner is lost (its process died
    /// or was cut off from the database for longer than its lease and the reaper's grace, or it
    /// stopped), the group is cancelled: tasks that have not started never will (their results
    /// say why), running ones are killed on their hosts. A producer that runs again in time takes
    /// its group over by its key; a node that registers again after its lease lapsed keeps its
    /// groups. A `detached` group runs to its end whatever becomes of its producer.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - queue: The queue the tasks go to.
    ///   - idempotencyKey: A key that names the group across restarts and hosts, or `nil`.
    ///   - lane: The priority lane of the group's tasks.
    ///   - detached: Whether the group keeps running when the task that waits on it is cancelled,
    ///     and when this node is lost.
    /// - Returns: The group.
    /// - Throws: ``QueueNodeError/notRunning`` when the node stopped; the database's error.
    public func group<Value>(
        of type: Value.Type = Value.self, queue: String = "default", idempotencyKey: String? = nil,
        lane: QueueLane = .normal, detached: Bool = false
    ) async throws -> RemoteWaitGroup<Value> {
        let owner = try await identity.wait()
        let (id, attached) = try await toleratingOutages("create group") { [self] in
            try await statements.createGroup(
                queue: queue, idempotencyKey: idempotencyKey, owner: owner, cancelledOnOwnerLoss: !detached)
        }
        return RemoteWaitGroup(
            id: id, queue: queue, lane: lane, attached: attached, detached: detached, count: 0, sealed: false,
            node: self)
    }

    /// Returns the group with `id`, to wait for its results again (after a producer restart, or
    /// from another host). No task can be added to it.
    ///
    /// Unless `detached`, this node becomes the group's owner (see
    /// ``group(of:queue:idempotencyKey:lane:detached:)``): the group is cancelled once this node
    /// is lost. A detached attach only watches, and leaves the group's owner as it was.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - id: The group's ``RemoteWaitGroup/id``.
    ///   - detached: Whether the group keeps running when the task that waits on it is cancelled,
    ///     and when this node is lost.
    /// - Returns: The group, with as many slots as its producer added.
    /// - Throws: ``QueueNodeError/unknownGroup(_:)``; the database's error.
    public func attach<Value>(of type: Value.Type = Value.self, group id: UUID, detached: Bool = false)
        async throws
        -> RemoteWaitGroup<Value>
    {
        let owner = try await identity.wait()
        guard
            let stored = try await toleratingOutages(
                "find group", { [self] in try await statements.group(id) })
        else {
            throw QueueNodeError.unknownGroup(id.uuidString)
        }
        if !detached {
            try await toleratingOutages("own group") { [self] in
                try await statements.own(group: id, owner: owner)
            }
        }
        return RemoteWaitGroup(
            id: id, queue: stored.queue, lane: .normal, attached: true, detached: detached,
            count: stored.count, sealed: true, node: self)
    }

    /// Returns the group created with `idempotencyKey`, as ``attach(of:group:detached:)`` does.
    ///
    /// - Parameters:
    ///   - type: The type of the tasks' values.
    ///   - idempotencyKey: The key the group was created with.
    ///   - detached: Whether the group keeps running when the task that waits on it is cancelled.
    /// - Returns: The group.
    /// - Throws: ``QueueNodeError/unknownGroup(_:)``; the database's error.
    public func attach<Value>(
        of type: Value.Type = Value.self, idempotencyKey: String, detached: Bool = false
    )
        async throws -> RemoteWaitGroup<Value>
    {
        _ = try await identity.wait()
        guard
            let id = try await toleratingOutages(
                "find group", { [self] in try await statements.group(idempotencyKey: idempotencyKey) })
        else {
            throw QueueNodeError.unknownGroup("with key \(idempotencyKey)")
        }
        return try await attach(of: type, group: id, detached: detached)
    }
}

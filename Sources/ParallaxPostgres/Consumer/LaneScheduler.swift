/// Shares a consumer's room among the priority lanes by weight, so that a lower lane is never
/// starved: stride scheduling, in which each slot goes to the lane that has had least for its
/// weight so far, across claims. A claim of one task at a time still serves every lane in
/// proportion (8:4:2:1 by default: of 15 single claims, 8, 4, 2 and 1).
///
/// A slot a lane cannot use (it has no ready task) is not credited back: an idle lane builds no
/// claim on the future, and its slots go to the other lanes in order of priority
/// (``QueueConsumer`` claims what is left in lane order).
package struct LaneScheduler: Sendable, Equatable {
    private let weights: [Int]
    /// How much each lane has had, scaled by the inverse of its weight.
    private var passes: [Double]

    /// - Parameter weights: One weight per lane, the first lane the most urgent; a weight of
    ///   zero gives the lane only what the others leave.
    package init(weights: [Int]) {
        self.weights = weights
        self.passes = Array(repeating: 0, count: weights.count)
    }

    /// Shares `room` slots among the lanes.
    /// - Returns: How many slots each lane gets; they add up to `room` (when a lane has weight).
    package mutating func allocate(_ room: Int) -> [Int] {
        allocate(room, busy: Set(weights.indices))
    }

    /// Shares `room` slots among the lanes that had ready tasks at the last claim (`busy`), by
    /// weight; every other lane gets one slot first, while the room lasts, to find out whether
    /// it has work now. A queue whose tasks are all in one lane is then claimed in one statement
    /// of full batches, and a lane that gets work is noticed at the next claim.
    /// - Returns: How many slots each lane gets; they add up to `room` (when a lane has weight).
    package mutating func allocate(_ room: Int, busy: Set<Int>) -> [Int] {
        // With no lane known to be busy (the first claim, an idle queue), every lane shares.
        let busy = busy.isEmpty ? Set(weights.indices) : busy
        var shares = Array(repeating: 0, count: weights.count)
        var room = max(0, room)
        for lane in weights.indices where weights[lane] > 0 && !busy.contains(lane) && room > 0 {
            shares[lane] = 1
            room -= 1
        }
        let sharing = weights.indices.filter { weights[$0] > 0 && busy.contains($0) }
        guard !sharing.isEmpty else { return shares }
        for _ in 0..<room {
            // The busy lane with the smallest pass; ties go to the more urgent lane.
            var chosen = -1
            for lane in sharing {
                if chosen < 0 || passes[lane] < passes[chosen] { chosen = lane }
            }
            shares[chosen] += 1
            passes[chosen] += 1 / Double(weights[chosen])
        }
        // Keep the passes small; only their differences matter. A lane that is not sharing
        // starts level with the others when it joins, with no credit saved up.
        if let floor = sharing.map({ passes[$0] }).min() {
            for lane in passes.indices { passes[lane] = sharing.contains(lane) ? passes[lane] - floor : 0 }
        }
        return shares
    }
}

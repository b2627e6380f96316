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
        var shares = Array(repeating: 0, count: weights.count)
        guard weights.contains(where: { $0 > 0 }) else { return shares }
        for _ in 0..<max(0, room) {
            // The lane with the smallest pass; ties go to the more urgent lane.
            var chosen = -1
            for lane in weights.indices where weights[lane] > 0 {
                if chosen < 0 || passes[lane] < passes[chosen] { chosen = lane }
            }
            shares[chosen] += 1
            passes[chosen] += 1 / Double(weights[chosen])
        }
        // Keep the passes small; only their differences matter.
        if let floor = passes.indices.filter({ weights[$0] > 0 }).map({ passes[$0] }).min() {
            for lane in passes.indices { passes[lane] = max(0, passes[lane] - floor) }
        }
        return shares
    }
}

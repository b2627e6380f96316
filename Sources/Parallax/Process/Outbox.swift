/// The frames queued for one worker, in the order they are to be written.
///
/// The pool's state machine numbers the frames it orders for a worker process (runs, cancels)
/// 1, 2, 3…, and the threads that carry out its actions queue them here outside its lock, in
/// whatever order they get there. A numbered frame becomes ready to write only once every frame
/// numbered before it is ready, so the worker receives them in the machine's order. Frames
/// without a number (a service reply) are ready at once.
///
/// A pure value: ``WorkerProcess`` keeps it under a lock.
package struct Outbox: Sendable {
    /// The frames ready to write, in order.
    package private(set) var ready: [Frame] = []
    /// The number of the next frame that may become ready.
    private var next: UInt64 = 1
    /// Numbered frames that came before their turn, by number. Empty in the common case, where
    /// frames arrive in order.
    private var early: [UInt64: Frame] = [:]

    package init() {}

    /// Queues `frame`, numbered `sequence` by the state machine, or unnumbered.
    package mutating func add(_ frame: Frame, sequence: UInt64?) {
        guard let sequence else {
            ready.append(frame)
            return
        }
        guard sequence == next else {
            early[sequence] = frame
            return
        }
        ready.append(frame)
        next &+= 1
        while !early.isEmpty, let following = early.removeValue(forKey: next) {
            ready.append(following)
            next &+= 1
        }
    }

    /// How many numbered frames wait for one numbered before them.
    package var waitingCount: Int { early.count }

    /// Hands the ready frames over by swapping them with `frames`, which must be empty: neither
    /// side allocates.
    package mutating func takeReady(into frames: inout [Frame]) {
        swap(&ready, &frames)
    }
}

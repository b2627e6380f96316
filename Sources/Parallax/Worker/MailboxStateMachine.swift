/// A worker's mailbox as a pure state machine: the run frames not started yet, the one that runs,
/// the cancels the parent sent, and the task that drains the queue (`Drainer`, a `Task` in the
/// worker, any value in tests).
///
/// Frames run one at a time, in the order they arrived, in one drain task. The reader thread
/// hands over the frames of each read (``received(_:)``) and starts a drain when none runs. A
/// cancel for a frame that has not started makes the drain skip it, answered as cancelled; a
/// cancel for the running frame cancels the drain task itself, and since the frames after it must
/// not run cancelled, that task hands the rest of the queue to a new one (``Step/handOver``).
///
/// The drain task becomes known (``drainStarted(_:generation:)``) only once `Task.immediate`
/// returns, which may be after it ran frames, or after it ended: drains are numbered, so an ended
/// one is never stored, and a cancel that came meanwhile is applied when it becomes known.
struct MailboxStateMachine<Drainer: Sendable>: Sendable {
    /// What the drain task does next.
    enum Step {
        case run(Frame)
        /// Answer the frame as cancelled without running it.
        case skip(Frame)
        /// This task was cancelled for the frame it ran: a new drain takes the rest.
        case handOver
        /// Nothing is queued: the drain ends.
        case done
    }

    /// Cancels kept for frames that never arrive (their task finished first) are dropped past
    /// this many.
    static var cancelledLimit: Int { 1_024 }

    private var frames = FIFOQueue<Frame>()
    private var cancelled: Set<UInt64> = []
    /// Whether a drain task runs the queue: the reader starts one only when none does.
    private var draining = false
    private var runningID: UInt64?
    /// The drain task, once known.
    private var drainer: Drainer?
    /// Counts the drains started; the last one that ended.
    private var drainGeneration: UInt64 = 0
    private var endedGeneration: UInt64 = 0

    init() {}

    /// The frames of one read: runs are queued, cancels mark their frame. All of them are in
    /// before any runs, so a cancel that arrived with its frame is seen first.
    /// - Returns: Whether a drain must start (``drainStarting()``), and the drain task to cancel
    ///   when a cancel names the running frame.
    mutating func received(_ arrived: [Frame]) -> (startDrain: Bool, cancel: Drainer?) {
        var cancel: Drainer?
        for frame in arrived {
            if frame.kind != .cancel {
                frames.append(frame)
            } else {
                cancelled.insert(frame.id)
                if runningID == frame.id, let drainer { cancel = drainer }
            }
        }
        guard !draining, !frames.isEmpty else { return (false, cancel) }
        draining = true
        return (true, cancel)
    }

    /// A drain task is about to start; returns its number.
    mutating func drainStarting() -> UInt64 {
        drainGeneration += 1
        return drainGeneration
    }

    /// The drain task numbered `generation` exists. It is kept unless it ended already.
    /// - Returns: The task, to cancel at once, when the frame it runs was cancelled before it was
    ///   known.
    mutating func drainStarted(_ task: Drainer, generation: UInt64) -> Drainer? {
        guard endedGeneration != generation else { return nil }
        drainer = task
        guard let running = runningID, cancelled.contains(running) else { return nil }
        return task
    }

    /// The drain numbered `generation` finished a frame (or starts) and asks for the next step;
    /// `isCancelled` tells whether its task was cancelled.
    mutating func next(generation: UInt64, isCancelled: Bool) -> Step {
        runningID = nil
        if isCancelled {
            end(generation)
            return .handOver
        }
        guard let frame = frames.popFirst() else {
            draining = false
            end(generation)
            if cancelled.count > Self.cancelledLimit { cancelled.removeAll() }
            return .done
        }
        if cancelled.remove(frame.id) != nil { return .skip(frame) }
        runningID = frame.id
        return .run(frame)
    }

    private mutating func end(_ generation: UInt64) {
        endedGeneration = generation
        drainer = nil
    }

    /// The id of the frame that runs now.
    var running: UInt64? { runningID }
    /// How many frames wait.
    var queuedCount: Int { frames.count }
}

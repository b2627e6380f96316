/// Decides whether a caller waits for its answer on its own thread
/// (``WorkerPool/Configuration/inlineReplyWait``), or whether that wait starts by polling
/// (``WorkerPool/Configuration/inlineReplyPolling``), learning from the last calls: after a wait
/// that ran out, the next calls skip it, twice as many after each further miss up to
/// ``maximumSkips``; an answer that arrived in time resets it.
package struct InlineWaitPolicy: Sendable {
    /// The most calls skipped after a run of misses.
    package static let maximumSkips = 1_024

    private var misses = 0
    private var skipsLeft = 0

    package init() {}

    /// Whether the next call waits on its own thread.
    package mutating func shouldWait() -> Bool {
        guard skipsLeft == 0 else {
            skipsLeft -= 1
            return false
        }
        return true
    }

    /// Records how a wait ended.
    package mutating func record(answeredInTime: Bool) {
        if answeredInTime {
            misses = 0
            skipsLeft = 0
        } else {
            misses += 1
            skipsLeft = min(1 << min(misses, 16), Self.maximumSkips)
        }
    }
}

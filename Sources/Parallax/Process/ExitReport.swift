/// What the parent learned when a worker process ended.
package struct ExitReport: Sendable {
    /// How the process ended.
    package var termination: ProcessTermination
    /// The last lines the worker wrote to stderr, oldest first.
    package var stderrTail: [String]
    /// Set when the parent stopped the worker because it broke the protocol.
    package var protocolError: ProtocolError?
    /// The worker's pid.
    package var pid: Int32
    /// The ids of the run frames the worker never read whole: it died before it could start them.
    package var neverRead: [UInt64] = []

    /// The Swift runtime's crash reason, such as `Fatal error: Index out of range`, when the tail
    /// holds one; otherwise the last non-empty line.
    package var crashMessage: String? {
        let markers = ["Fatal error:", "Precondition failed:", "Assertion failed:", "*** Program crashed:"]
        for marker in markers {
            if let line = stderrTail.first(where: { $0.contains(marker) }) {
                return line.trimmingCharacters()
            }
        }
        return stderrTail.last(where: { !$0.trimmingCharacters().isEmpty })?.trimmingCharacters()
    }
}

extension String {
    package func trimmingCharacters() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}

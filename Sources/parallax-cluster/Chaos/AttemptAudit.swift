import FoundationEssentials

/// Reads every worker's attempt log and checks that no two attempts of one task ran at once.
///
/// An attempt runs from its start line to its end line; one without an end (its worker was
/// killed, or trapped) is taken to have run until its last line plus a tick, the most it can
/// have run unseen.
struct AttemptAudit {
    /// Attempts started, in every log.
    var attempts = 0
    /// Attempts that never logged their end.
    var unfinished = 0
    /// Tasks with two attempts whose intervals overlap.
    var overlappingTasks = 0
    /// The longest overlap, in milliseconds.
    var largestOverlapMilliseconds = 0.0

    init(directory: String) throws {
        struct Interval {
            var start: UInt64
            var last: UInt64
            var ended = false
        }
        var intervals: [String: [UInt64: Interval]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory)
        where name.hasPrefix("attempts-") {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count == 4, let nonce = UInt64(fields[2]), let time = UInt64(fields[3]) else {
                    continue
                }
                let key = String(fields[1])
                var interval = intervals[key, default: [:]][nonce] ?? Interval(start: time, last: time)
                interval.start = min(interval.start, time)
                interval.last = max(interval.last, time)
                if fields[0] == "E" { interval.ended = true }
                intervals[key, default: [:]][nonce] = interval
            }
        }
        let tick = UInt64(AttemptLog.tickMilliseconds) * 1_000_000
        for (_, attemptsOfTask) in intervals {
            attempts += attemptsOfTask.count
            let spans = attemptsOfTask.values.map { ($0.start, $0.ended ? $0.last : $0.last + tick) }
                .sorted { $0.0 < $1.0 }
            unfinished += attemptsOfTask.values.count { !$0.ended }
            var reach: UInt64 = 0
            var overlapped = false
            for (index, span) in spans.enumerated() {
                if index > 0, span.0 < reach {
                    overlapped = true
                    largestOverlapMilliseconds = max(
                        largestOverlapMilliseconds, Double(min(reach, span.1) - span.0) / 1e6)
                }
                reach = max(reach, span.1)
            }
            if overlapped { overlappingTasks += 1 }
        }
    }
}

import Parallax

/// Durations of repeated runs, summarised by percentiles.
struct Samples {
    private(set) var microseconds: [Double] = []

    mutating func append(_ duration: Duration) {
        microseconds.append(duration.timeInterval * 1e6)
    }

    mutating func append(contentsOf other: Samples) {
        microseconds.append(contentsOf: other.microseconds)
    }

    func percentile(_ fraction: Double) -> Double {
        guard !microseconds.isEmpty else { return .nan }
        let sorted = microseconds.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))
        return sorted[index]
    }

    var median: Double { percentile(0.5) }
}

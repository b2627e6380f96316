extension Duration {
    /// Seconds, as a `Double`.
    package var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole nanoseconds, from 0 (for a negative duration) up to `Int64.max` however long it is.
    package var wholeNanoseconds: Int64 {
        whole(per: 1_000_000_000)
    }

    /// Whole microseconds, from 0 (for a negative duration) up to `Int64.max` however long it is.
    package var wholeMicroseconds: Int64 {
        whole(per: 1_000_000)
    }

    /// Whole milliseconds, from 0 (for a negative duration) up to `Int64.max` however long it is.
    package var wholeMilliseconds: Int64 {
        whole(per: 1_000)
    }

    private func whole(per second: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64.max / second - 1 else { return Int64.max }
        return max(0, seconds * second + attoseconds / (1_000_000_000_000_000_000 / second))
    }
}

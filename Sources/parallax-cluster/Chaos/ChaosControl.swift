import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

/// The chaos run's own view of the database: one-number queries that ride out the outages the
/// run causes (each try given up after 5 s, tried again through up to two minutes of outage).
struct ChaosControl: Sendable {
    let client: PostgresClient
    let logger: Logger
    let timers = TimerService()

    func number(_ sql: String) async throws -> Int64 {
        let query = PostgresQuery(unsafeSQL: sql)
        return try await timers.answerThroughOutages(within: .seconds(5), tolerating: .seconds(120)) {
            [client, logger] in
            let rows = try await client.query(query, logger: logger)
            for try await value in rows.decode(Int64?.self) { return value ?? 0 }
            return 0
        }
    }

    func numbers(_ sql: String) async throws -> [Int64] {
        let query = PostgresQuery(unsafeSQL: sql)
        return try await timers.answer(within: .seconds(10)) { [client, logger] in
            var values: [Int64] = []
            let rows = try await client.query(query, logger: logger)
            for try await value in rows.decode(Int64.self) { values.append(value) }
            return values
        }
    }

    /// Polls `sql` every 50 ms until it counts `expected`, for up to `limit`.
    /// - Returns: How long it took, in seconds.
    @discardableResult
    func until(_ sql: String, is expected: Int64, within limit: Duration = .seconds(120)) async throws
        -> Double
    {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await number(sql) == expected { return (ContinuousClock.now - start).seconds }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChaosFailure("timed out waiting until \(sql) counts \(expected)")
    }
}

struct ChaosFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

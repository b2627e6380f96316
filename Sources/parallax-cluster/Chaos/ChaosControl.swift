import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

/// The chaos run's own view of the database: one-number queries that ride out the outages the
/// run causes (each given up after 5 s, tried again for up to two minutes).
struct ChaosControl: Sendable {
    let client: PostgresClient
    let logger: Logger
    let timers = TimerService()

    func number(_ sql: String) async throws -> Int64 {
        let query = PostgresQuery(unsafeSQL: sql)
        var lastError: (any Error)?
        for _ in 0..<400 {
            do {
                return try await timers.answer(within: .seconds(5)) { [client, logger] in
                    let rows = try await client.query(query, logger: logger)
                    for try await value in rows.decode(Int64?.self) { return value ?? 0 }
                    return 0
                }
            } catch {
                // A mistake in the statement fails at once; an outage is waited out.
                if let failure = error as? PSQLError, failure.code == .server,
                    let state = failure.serverInfo?[.sqlState], !state.hasPrefix("57"), !state.hasPrefix("08")
                {
                    throw error
                }
                lastError = error
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        throw ChaosFailure("the database did not answer \(sql): \(String(describing: lastError))")
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

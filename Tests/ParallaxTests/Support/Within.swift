import Testing

/// Runs `body`, failing the test when it takes longer than `limit`: a bound on a wait that must
/// end, not a way to order events.
func within<Result: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result? {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        if first == nil { Issue.record("did not finish within \(limit)") }
        return first
    }
}

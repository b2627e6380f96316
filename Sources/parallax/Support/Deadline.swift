/// Runs `operation` against a deadline: true when it finished first, false when `limit` passed
/// first (the operation is then cancelled; what it started may go on).
func finishes(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
    await withTaskGroup(of: Bool.self) { race in
        race.addTask {
            await operation()
            return true
        }
        race.addTask {
            try? await Task.sleep(for: limit)
            return false
        }
        let first = await race.next() ?? false
        race.cancelAll()
        return first
    }
}

/// A service that runs until asked to stop: a pool, a queue node. What tests, demos and
/// `withPool` do with one, said once.
package protocol StoppableService: Sendable {
    /// Runs until stopped.
    func run() async throws
    /// Asks ``run()`` to end gracefully.
    func shutdown()
}

extension StoppableService {
    /// Runs `body` while this service runs, then shuts it down gracefully and waits for
    /// ``run()``; the run's error, then the body's, is thrown.
    package func running<Result>(_ body: (Self) async throws -> Result) async throws -> Result {
        let service = self
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(service))
            } catch {
                result = .failure(error)
            }
            service.shutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}

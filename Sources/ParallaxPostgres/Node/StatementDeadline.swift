package import Parallax

/// A statement that did not answer within ``QueueNode/Configuration/statementTimeout``: given
/// up, and tried again as after a dropped connection.
package struct StatementTimedOut: Error, CustomStringConvertible {
    package var limit: Duration
    package var description: String { "the database did not answer within \(limit)" }
}

extension TimerService {
    /// Runs `body`, and stops waiting for it after `limit`: it is cancelled, and the caller gets
    /// ``StatementTimedOut`` at once, whether or not the cancellation reaches it. A connection
    /// that dies at the wrong moment can leave a statement unanswered forever; the loop that sent
    /// it must not wait with it.
    package func answer<Result: Sendable>(
        within limit: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let outcome = OneShot<Swift.Result<Result, any Error>>()
        let work = Task {
            do {
                outcome.deliver(.success(try await body()))
            } catch {
                outcome.deliver(.failure(error))
            }
        }
        let timer = schedule(after: limit) {
            if outcome.deliver(.failure(StatementTimedOut(limit: limit))) { work.cancel() }
        }
        let result = await withTaskCancellationHandler {
            await outcome.wait()
        } onCancel: {
            if outcome.deliver(.failure(CancellationError())) { work.cancel() }
        }
        cancel(timer)
        return try result.get()
    }
}

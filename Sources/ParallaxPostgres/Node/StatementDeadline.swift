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

    /// Runs `body` (each try given up after `limit`), again after a growing pause each time it
    /// fails because the database cannot be reached, for up to `tolerance` of failures in a row.
    /// Any other failure, and an outage longer than `tolerance`, is thrown.
    /// - Parameter retrying: Told of each transient failure before the pause.
    package func answerThroughOutages<Result: Sendable>(
        within limit: Duration, tolerating tolerance: Duration,
        retrying: (any Error) -> Void = { _ in },
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        var pause = Duration.milliseconds(50)
        var failingSince: ContinuousClock.Instant?
        while true {
            do {
                return try await answer(within: limit, body)
            } catch  where DatabaseOutage.isTransient(error) && !Task.isCancelled {
                let since = failingSince ?? .now
                failingSince = since
                guard ContinuousClock.now - since < tolerance else { throw error }
                retrying(error)
                await sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}

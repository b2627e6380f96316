public import Logging
public import Parallax
public import PostgresNIO

/// A task whose result has an effect on the database, committed in the same transaction as the
/// result itself, and only if the attempt that computed it is still the task's current one.
///
/// A worker computes; the node that ran the task commits. Each successful result of a task the
/// node's configuration names (``QueueNode/Configuration/commitEffects(of:)``) is handed to
/// ``commit(_:of:on:logger:)`` inside the transaction that records it, after the attempt's fence
/// let it land. A late completion of an attempt whose task was taken back (its host was frozen,
/// partitioned or lost its lease) lands nothing and commits nothing, so the effects of one task
/// are committed once however many times it ran.
///
/// ```swift
/// struct Invoice: CommittedTask {
///     var order: Int
///     func run(in context: WorkerContext) async throws -> Int { try render(order) }
///
///     static func commit(_ pages: Int, of task: QueueCommit, on connection: PostgresConnection,
///                        logger: Logger) async throws {
///         try await connection.query(
///             "INSERT INTO invoices (task, pages) VALUES (\(task.taskID), \(pages))", logger: logger)
///     }
/// }
/// ```
///
/// An effect that throws is rolled back alone (a savepoint each); the task's result becomes the
/// error, of kind `TaskError/Kind/threw`. Effects outside the database are not covered: use
/// ``QueueCommit/effectKey`` as their idempotency key.
public protocol CommittedTask: WorkerTask {
    /// Commits the effect of a successful result, in the transaction that records it.
    ///
    /// - Parameters:
    ///   - output: What the task returned.
    ///   - task: Which task and attempt it was.
    ///   - connection: The connection of the transaction; run the effect's statements on it,
    ///     and do not commit or roll back.
    ///   - logger: The node's logger.
    static func commit(
        _ output: Output, of task: QueueCommit, on connection: PostgresConnection, logger: Logger)
        async throws
}

package import Logging
import Parallax
package import PostgresNIO

/// Commits the effect of one kind of ``CommittedTask``: decodes the encoded output and hands it
/// to the task type's `commit`.
package struct EffectCommitter: Sendable {
    let commit: @Sendable ([UInt8], QueueCommit, PostgresConnection, Logger) async throws -> Void

    /// Commits with `commit`, which receives the encoded output.
    package init(
        _ commit: @escaping @Sendable ([UInt8], QueueCommit, PostgresConnection, Logger) async throws -> Void
    ) {
        self.commit = commit
    }

    init<Task: CommittedTask>(_: Task.Type) {
        commit = { bytes, task, connection, logger in
            let output = try WorkerPool.decodeOutput(Task.Output.self, from: bytes, name: Task.taskName)
            try await Task.commit(output, of: task, on: connection, logger: logger)
        }
    }
}

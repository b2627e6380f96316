import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

/// The chaos run's task: works for a while (a millisecond of computation, or a sleep of its
/// duration), logging its attempt's start, its progress and its end to the attempt log of its
/// worker, and returns a value computed from its group and slot. A poison task traps its worker
/// at every attempt. Its effect, one row in `chaos_effect` (no uniqueness constraint, so a
/// duplicate would be counted, not refused), is committed with its result.
struct ChaosWork: CommittedTask {
    var group: Int
    var slot: Int
    var milliseconds: Int
    var poison = false

    /// The value the task returns.
    static func expected(group: Int, slot: Int) -> Int64 {
        var mixed =
            UInt64(truncatingIfNeeded: group) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: slot)
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int64(bitPattern: (mixed ^ (mixed >> 31)) >> 1)
    }

    func run(in context: WorkerContext) async throws -> Int64 {
        let key = "\(group)/\(slot)"
        let attempt = AttemptLog.shared.started(key)
        if poison { fatalError("chaos poison task \(key)") }
        if milliseconds <= 2 {
            let end = BootClock.nanoseconds + UInt64(milliseconds) * 1_000_000
            var spin: UInt64 = 0
            while BootClock.nanoseconds < end { spin &+= 1 }
        } else {
            var left = milliseconds
            while left > 0 {
                let step = min(left, AttemptLog.tickMilliseconds)
                try await Task.sleep(for: .milliseconds(step))
                left -= step
                AttemptLog.shared.alive(key, attempt)
            }
        }
        AttemptLog.shared.ended(key, attempt)
        return Self.expected(group: group, slot: slot)
    }

    static func commit(
        _ value: Int64, of task: QueueCommit, on connection: PostgresConnection, logger: Logger
    )
        async throws
    {
        try await connection.query(
            """
            INSERT INTO chaos_effect (task_id, group_id, slot, value)
            VALUES (\(task.taskID), \(task.group), \(Int32(task.slot)), \(value))
            """, logger: logger)
    }
}

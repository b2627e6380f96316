import Foundation
import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

/// The floor of the queue's throughput: `pgbench`, on one connection, claiming `batch` ready
/// tasks and completing them through their fence with the statements the node runs
/// (``QueueStatements``'s claim and completion, written out for pgbench), until the queue is
/// empty. No worker, no producer: what PostgreSQL alone allows on this machine.
struct BenchFloor {
    var server: LocalPostgres
    var tasks: Int
    var batch: Int
    var logger: Logger

    func run() async throws -> Double {
        try await server.createDatabase("floor", logger: logger)
        let node = try await server.withClient(database: "floor", logger: logger) { client in
            try await QueueSchema.migrate(client, logger: logger)
            let statements = QueueStatements(client: client, logger: logger)
            let node = try await statements.registerNode(
                host: "pgbench", pid: 0, ttl: .seconds(3_600), queues: ["bench"])
            let (group, _) = try await statements.createGroup(
                queue: "bench", idempotencyKey: nil, owner: node)
            let payload = try WireCodec.encode(0)
            for first in stride(from: 0, to: tasks, by: 5_000) {
                let slots = first..<min(first + 5_000, tasks)
                try await statements.addTasks(
                    group: group, queue: "bench",
                    slots.map { QueueStatements.NewTask(slot: $0, kind: "NoOp", payload: payload) },
                    policy: QueueStatements.TaskPolicy(timeout: .seconds(60), maxAttempts: 3))
            }
            return node
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parallax-floor-\(getpid()).sql")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let transactions = (tasks + batch - 1) / batch
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LocalPostgres.binaries + "/pgbench")
        process.arguments = [
            "-n", "-h", "127.0.0.1", "-p", "\(server.port)", "-U", "parallax", "-c", "1", "-t",
            "\(transactions)",
            "-D", "node=\(node)", "-D", "batch=\(batch)", "-f", script.path, "floor",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let start = ContinuousClock.now
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        guard process.terminationStatus == 0 else { throw BenchFailure("pgbench failed:\n\(text)") }
        let left = try await server.withClient(database: "floor", logger: logger) { client in
            let rows = try await client.query("SELECT count(*)::int8 FROM parallax.task", logger: logger)
            for try await count in rows.decode(Int64.self) { return count }
            return -1
        }
        guard left == 0 else { throw BenchFailure("pgbench left \(left) tasks") }
        // pgbench's own figure leaves out its connection; the elapsed time is the safer measure.
        let rate = Double(tasks) / elapsed.seconds
        print("   floor: pgbench, 1 connection, claim + complete of \(batch): \(Int(rate)) tasks/s")
        return rate
    }

    /// The claim and the completion of the node (see ``QueueStatements``), one transaction each,
    /// the claimed tokens carried from one to the other in pgbench variables.
    static let script = """
        WITH me AS (
            SELECT id, lease_ttl FROM parallax.node
             WHERE id = :node AND state = 0 AND lease_expires_at > parallax.now()
        ), picked AS (
            SELECT t.id FROM parallax.task t
             WHERE t.queue = 'bench' AND t.state = 0 AND t.run_at <= parallax.now() AND EXISTS (SELECT 1 FROM me)
             ORDER BY t.lane, t.run_at, t.id
             LIMIT :batch
             FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE parallax.task t
               SET state = 1, attempt = t.attempt + 1, attempt_id = nextval('parallax.attempt_seq'),
                   node_id = :node, claimed_at = parallax.now(),
                   deadline_at = parallax.now() + t.timeout + (SELECT lease_ttl FROM me)
              FROM picked
             WHERE t.id = picked.id
            RETURNING t.id, t.attempt_id, t.payload
        )
        SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt_id), '{}') AS tokens
          FROM claimed
        \\gset
        WITH input AS (
            SELECT * FROM unnest(':ids'::int8[], ':tokens'::int8[]) AS i(task_id, attempt_id)
        ), finished AS (
            DELETE FROM parallax.task t USING input i
             WHERE t.id = i.task_id AND t.attempt_id = i.attempt_id AND t.state = 1
            RETURNING t.id, t.group_id, t.slot, t.kind, t.attempt, t.attempt_id, t.node_id, t.created_at,
                      t.claimed_at, t.payload
        ), landed AS (
            INSERT INTO parallax.result
                (task_id, group_id, slot, kind, outcome, payload, attempts, attempt_id, node_id, enqueued_at, started_at)
            SELECT id, group_id, slot, kind, 0, payload, attempt, attempt_id, node_id, created_at, claimed_at
              FROM finished
            RETURNING task_id
        ), logged AS (
            INSERT INTO parallax.attempt (task_id, attempt_id, node_id, started_at, ended_by)
            SELECT id, attempt_id, :node, claimed_at, 0 FROM finished
        )
        SELECT count(*) FROM landed;

        """
}

enum BenchFile {
    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

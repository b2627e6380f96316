// The README's example of a queue across hosts, verbatim (see ReadmeExample.swift).

import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO
import ServiceLifecycle

func runANode(postgres: PostgresClient.Configuration, logger: Logger) async throws {
    let pool = WorkerPool(configuration: .cpuBound, tasks: tasks)
    let node = QueueNode(postgres: postgres, tasks: tasks, consumingInto: pool, logger: logger)
    // The node after the pool: a graceful shutdown stops the node first, which drains.
    try await ServiceGroup(services: [pool, node], logger: logger).run()
}

func countAcrossHosts(_ node: QueueNode) async throws -> Int {
    let group = try await node.group(of: Int.self, idempotencyKey: "count-2026-12")
    for shard in 0..<64 { try group.go(CountEvents(dsn: "postgres://db/app", shard: shard)) }
    return try await group.wait().compactMap(\.value).reduce(0, +)
}

struct Invoice: CommittedTask {
    var order: Int
    func run(in context: WorkerContext) async throws -> Int { order * 3 }  // the pages, say

    static func commit(_ pages: Int, of task: QueueCommit, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            "INSERT INTO invoices (task, pages) VALUES (\(task.taskID), \(pages))", logger: logger)
    }
}

func invoicingNode(postgres: PostgresClient.Configuration, pool: WorkerPool, logger: Logger) -> QueueNode {
    var configuration = QueueNode.Configuration()
    configuration.commitEffects(of: Invoice.self)
    return QueueNode(
        postgres: postgres, tasks: tasks, consumingInto: pool, configuration: configuration, logger: logger)
}

import ArgumentParser
import FoundationEssentials
import Logging
import Parallax
import ParallaxPostgres

/// The producer the chaos run kills mid-wait and runs again: it sends a group with an
/// idempotency key (the second run attaches to it and adds nothing), waits for every result and
/// writes them to a file, one line per slot. Its group is detached, so that it outlives a
/// producer that is not back within its lease; with `--bound` it is not, and is cancelled once
/// the killed producer is found lost.
struct ChaosProducer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos-producer",
        abstract: "Send a keyed group and wait for it (started by `chaos`).",
        shouldDisplay: false)

    /// The group number of the producer's tasks, apart from the load's.
    static let group = 1_000_000

    @Option(help: "The PostgreSQL server's port on loopback.")
    var port: Int

    @Option(help: "The database.")
    var database: String

    @Option(help: "The group's idempotency key.")
    var key: String

    @Option(help: "Tasks in the group.")
    var tasks: Int

    @Option(help: "Where to write the results.")
    var out: String

    @Option(help: "The group number of the tasks (their expected values depend on it).")
    var number = Self.group

    @Option(help: "How long each task computes, in milliseconds.")
    var milliseconds = 20

    @Flag(help: "Bind the group to this producer: it is cancelled once the producer is lost.")
    var bound = false

    func run() async throws {
        var logger = Logger(label: "parallax.chaos.producer")
        logger.logLevel = .error
        var configuration = HostsDemo.nodeConfiguration
        configuration.queues = ["chaos"]
        let node = QueueNode(
            postgres: HostsDemo.postgres(port: port, database: database), tasks: ClusterTasks.registry,
            configuration: configuration, logger: logger)
        try await node.running { node in
            let group = try await node.group(
                of: Int64.self, queue: "chaos", idempotencyKey: key, detached: !bound)
            for slot in 0..<tasks {
                try group.go(ChaosWork(group: number, slot: slot, milliseconds: milliseconds))
            }
            let results = try await group.wait()
            let lines = results.enumerated().map { slot, result in
                switch result.result {
                case .success(let value): "\(slot) \(value)"
                case .failure(let error): "\(slot) failed \(error.kind)"
                }
            }
            try (lines.joined(separator: "\n") + "\n").write(to: out)
        }
    }
}

import ArgumentParser
import FoundationEssentials
import Logging
import Parallax
import ParallaxPostgres
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// `parallax-cluster chaos` (and `parallax chaos --postgres`): a queue on a private PostgreSQL
/// server, three consumer hosts and a producer under a steady load of tasks, while hosts are
/// killed and frozen, the server crashes and restarts, its backends are terminated and a
/// producer dies mid-wait; then an audit of every result, effect and attempt.
struct ClusterChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run the queue across hosts under injected faults and audit every task.",
        discussion: """
            Scenarios, in order: kill -9 of a host (then a restart), repeated kills of another, \
            PostgreSQL crash restarts shorter and longer than the lease, backends terminated \
            under load, a host cut off by a network partition for longer than its lease (when \
            the hosts can have network namespaces of their own: root and iproute2), a host \
            frozen with SIGSTOP for longer than its lease, and a producer \
            killed mid-wait that runs again and attaches to its group by key; poison tasks trap \
            at every attempt throughout. The run passes when no task is lost, no effect is \
            committed twice, no two attempts of a task ran at once, every value is right, \
            stale completions were rejected after the partition and the freeze, and no process is \
            left. \
            Exits with status 1 when it does not pass.
            """)

    @Flag(help: "A short run for CI: fewer kills, shorter outages and long tasks of 2 s.")
    var quick = false

    @Option(help: "Seed of the load's plan.")
    var seed: UInt64 = 1

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    func run() async throws {
        guard LocalPostgres.isInstalled else {
            print(
                "chaos --postgres needs PostgreSQL 15's programs in \(LocalPostgres.binaries): \(LocalPostgres.installHint)"
            )
            throw ExitCode(1)
        }
        let run = ChaosRun(quick: quick, seed: seed)
        let report = try await run.run()
        print(report.text)
        if let json { try report.json.write(to: json) }
        if !report.passed { throw ExitCode(1) }
    }
}

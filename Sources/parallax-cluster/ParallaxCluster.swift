import ArgumentParser
import Parallax

@main
struct ParallaxCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parallax-cluster",
        abstract: "A queue across hosts on PostgreSQL: the demo, and the hosts it starts.",
        subcommands: [
            ClusterDemoCommand.self, ClusterBench.self, ClusterChaos.self, Host.self, ChaosProducer.self,
        ])

    static func main() async {
        await Worker.serveIfWorker(ClusterTasks.registry)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// `parallax-cluster demo --hosts N`.
struct ClusterDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Start a private PostgreSQL server and N hosts, kill one mid-run, and see every task finish.")

    @Option(help: "Hosts to start, each a process of this executable with a pool of 2 workers.")
    var hosts = 3

    func run() async throws {
        try await HostsDemo(hosts: max(2, hosts)).run()
    }
}

/// The tasks the hosts' workers run. Every host and the demo build this same registry.
enum ClusterTasks {
    static let registry = TaskRegistry(WhereDidIRun.self, NoOp.self, StartedAt.self, ChaosWork.self)
}

import ArgumentParser
import Parallax

@main
struct ParallaxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parallax",
        abstract: "Isolated parallel tasks for Swift: warm worker processes, per-slot results.",
        subcommands: [Demo.self, Bench.self, Chaos.self])

    static func main() async {
        await Worker.serveIfWorker(DemoTasks.registry)
        if CommandLine.arguments.dropFirst().first == PipeFloor.echoArgument { PipeFloor.serveEcho() }
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

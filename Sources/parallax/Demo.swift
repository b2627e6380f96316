import ArgumentParser
import Parallax

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show php-parallax's examples with real worker processes.")

    func run() async throws {
    }
}

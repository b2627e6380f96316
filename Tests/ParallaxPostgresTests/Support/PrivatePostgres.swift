import Logging
import ParallaxPostgres
import PostgresNIO
import Synchronization
import Testing

/// The private PostgreSQL server of a suite (``LocalPostgres``), with a new database per test.
final class PrivatePostgres: Sendable {
    /// The server of the suite running now.
    @TaskLocal static var current: PrivatePostgres?

    let server: LocalPostgres
    private let databases = Mutex(0)

    init(server: LocalPostgres) {
        self.server = server
    }

    /// A client of a new, empty database of this server, running while `body` runs.
    func withDatabase<Result: Sendable>(
        logger: Logger = Logger(label: "parallax.test.postgres") { _ in SwiftLogNoOpLogHandler() },
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(logger: logger) { client, _ in try await body(client) }
    }

    /// A client of a new, empty database of this server, running while `body` runs, and how to
    /// reach that database.
    func withDatabase<Result: Sendable>(
        logger: Logger = Logger(label: "parallax.test.postgres") { _ in SwiftLogNoOpLogHandler() },
        _ body: @Sendable (PostgresClient, PostgresClient.Configuration) async throws -> Result
    ) async throws -> Result {
        let number = databases.withLock { count in
            count += 1
            return count
        }
        let name = "test_\(number)"
        try await server.createDatabase(name, logger: logger)
        return try await server.withClient(database: name, logger: logger) { client in
            try await body(client, server.configuration(database: name))
        }
    }
}

/// Runs a suite with a private PostgreSQL server (``PrivatePostgres/current``), skipped with the
/// install command where the server's programs are missing.
struct WithPrivatePostgres: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    @concurrent func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable @concurrent () async throws -> Void
    ) async throws {
        let server = try LocalPostgres.start()
        defer { server.stop() }
        try await PrivatePostgres.$current.withValue(PrivatePostgres(server: server)) { try await function() }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where PostgreSQL is installed; elsewhere it is reported skipped, with
    /// the command that installs it.
    static var postgresInstalled: Self {
        .enabled(
            if: LocalPostgres.isInstalled,
            "PostgreSQL 15 is not installed here: \(LocalPostgres.installHint)")
    }
}

extension Trait where Self == WithPrivatePostgres {
    /// A private PostgreSQL server for the suite; see ``LocalPostgres``.
    static var privatePostgres: Self { WithPrivatePostgres() }
}

import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of the tests' own, from the installed binaries: `initdb` in a temporary
/// directory, started by `pg_ctl` on a free port of loopback (and a socket in that directory), as
/// the unprivileged user `nobody` when the tests run as root, with trust authentication for the
/// user `parallax`; stopped and removed at the end of the suite that asked for it.
final class PrivatePostgres: Sendable {
    /// Where Debian's `postgresql-15` installs its programs.
    static let binaries = "/usr/lib/postgresql/15/bin"
    /// How to get them on a machine of this kind.
    static let installHint = "apt-get install postgresql-15"
    /// Whether the server's programs are here; without them the suites are skipped, saying so.
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binaries + "/initdb") }

    /// The server of the suite running now.
    @TaskLocal static var current: PrivatePostgres?

    let directory: String
    let port: Int
    private let databases = Mutex(0)

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    /// Creates the cluster and starts the server; waits until it accepts connections.
    static func start() throws -> PrivatePostgres {
        let directory = try makeDirectory()
        let server = PrivatePostgres(directory: directory, port: try freePort())
        try server.run(
            "initdb",
            ["-D", server.dataDirectory, "-U", "parallax", "--auth=trust", "-E", "UTF8", "--no-sync"])
        try server.run(
            "pg_ctl",
            [
                "-D", server.dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                "-p \(server.port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
            ])
        return server
    }

    /// Stops the server (fast shutdown: sessions are ended) and removes its directory.
    func stop() {
        try? run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var dataDirectory: String { directory + "/data" }

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
        _ = try await withClient(database: "postgres", logger: logger) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return try await withClient(database: name, logger: logger) { client in
            try await body(client, configuration(database: name))
        }
    }

    /// How to reach `database` on this server.
    func configuration(database: String) -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: "127.0.0.1", port: port, username: "parallax", password: nil, database: database,
            tls: .disable)
    }

    private func withClient<Result: Sendable>(
        database: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let configuration = configuration(database: database)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs one of the server's programs, as `nobody` when this process is root, with its output
    /// in a file: not a pipe, which the server that `pg_ctl start` leaves running would hold open.
    private func run(_ program: String, _ arguments: [String]) throws {
        var argv = [Self.binaries + "/" + program] + arguments
        if getuid() == 0 {
            argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + argv
        }
        let outputPath = directory + "/\(program).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &pointers, environ)
        guard spawned == 0 else { throw PrivatePostgresError("posix_spawn \(program): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw PrivatePostgresError("\(program) failed (status \(status)): \(text)\n\(log)")
        }
    }

    /// A directory the server's user owns.
    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/parallax-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PrivatePostgresError("mkdtemp failed") }
        let path = String(cString: made)
        if getuid() == 0 {
            guard chown(path, 65534, 65534) == 0 else { throw PrivatePostgresError("chown \(path) failed") }
        }
        return path
    }

    /// A port of loopback that nothing listens on now.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PrivatePostgresError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw PrivatePostgresError("bind failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PrivatePostgresError("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct PrivatePostgresError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a suite with a private PostgreSQL server (``PrivatePostgres/current``), skipped with the
/// install command where the server's programs are missing.
struct WithPrivatePostgres: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    @concurrent func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable @concurrent () async throws -> Void
    ) async throws {
        let server = try PrivatePostgres.start()
        defer { server.stop() }
        try await PrivatePostgres.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where PostgreSQL is installed; elsewhere it is reported skipped, with
    /// the command that installs it.
    static var postgresInstalled: Self {
        .enabled(
            if: PrivatePostgres.isInstalled,
            "PostgreSQL 15 is not installed here: \(PrivatePostgres.installHint)")
    }
}

extension Trait where Self == WithPrivatePostgres {
    /// A private PostgreSQL server for the suite; see ``PrivatePostgres``.
    static var privatePostgres: Self { WithPrivatePostgres() }
}

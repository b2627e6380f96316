import FoundationEssentials
package import Logging
package import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of the tests' own, from the installed binaries: `initdb` in a temporary
/// directory, started by `pg_ctl` on a free port of loopback (and a socket in that directory), as
/// the unprivileged user `nobody` when the tests run as root, with trust authentication for the
/// user `parallax`. For tests, demonstrations and measurements, never for production data:
/// `initdb` does not sync its files, and nothing is tuned.
package final class LocalPostgres: Sendable {
    /// Where Debian's `postgresql-15` installs its programs.
    package static let binaries = "/usr/lib/postgresql/15/bin"
    /// How to get them on a machine of this kind.
    package static let installHint = "apt-get install postgresql-15"
    /// Whether the server's programs are here; without them the suites are skipped, saying so.
    package static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: binaries + "/initdb")
    }

    package let directory: String
    package let port: Int
    /// The addresses the server listens on: loopback, and one more when asked.
    private let listenAddresses: String

    private init(directory: String, port: Int, listenAddresses: String) {
        self.directory = directory
        self.port = port
        self.listenAddresses = listenAddresses
    }

    /// Creates the cluster and starts the server; waits until it accepts connections.
    /// - Parameter also: One more address to listen on (of an interface of this machine), with
    ///   the network (CIDR) whose clients it trusts there, as for hosts in network namespaces.
    package static func start(alsoListeningOn also: (address: String, clients: String)? = nil) throws
        -> LocalPostgres
    {
        let directory = try makeDirectory()
        let server = LocalPostgres(
            directory: directory, port: try freePort(),
            listenAddresses: ["127.0.0.1", also?.address].compactMap { $0 }.joined(separator: ","))
        try server.run(
            "initdb",
            ["-D", server.dataDirectory, "-U", "parallax", "--auth=trust", "-E", "UTF8", "--no-sync"])
        if let also { try server.trust(also.clients) }
        try server.restart()
        return server
    }

    /// Adds a rule to `pg_hba.conf` that trusts clients of `network`.
    private func trust(_ network: String) throws {
        let rules = dataDirectory + "/pg_hba.conf"
        let fd = open(rules, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw LocalPostgresError("cannot open \(rules)") }
        defer { close(fd) }
        let line = Array("host all all \(network) trust\n".utf8)
        guard write(fd, line, line.count) == line.count else {
            throw LocalPostgresError("cannot write \(rules)")
        }
    }

    /// Stops the server (fast shutdown: sessions are ended) and removes its directory.
    package func stop() {
        try? run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the server as a crash would (immediate shutdown: every session ends at once, no
    /// checkpoint; the next start recovers from the write-ahead log).
    package func crash() throws {
        try run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"])
    }

    /// Starts the stopped server again, on its port; waits until it accepts connections.
    package func restart() throws {
        try run(
            "pg_ctl",
            [
                "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=\(listenAddresses)", "start",
            ])
    }

    private var dataDirectory: String { directory + "/data" }

    /// Creates an empty database.
    package func createDatabase(_ name: String, logger: Logger) async throws {
        _ = try await withClient(database: "postgres", logger: logger) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
    }

    /// How to reach `database` on this server.
    package func configuration(database: String) -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: "127.0.0.1", port: port, username: "parallax", password: nil, database: database,
            tls: .disable)
    }

    /// Runs `body` with a running client of `database`.
    package func withClient<Result: Sendable>(
        database: String, logger: Logger, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: configuration(database: database), backgroundLogger: logger)
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
        guard spawned == 0 else { throw LocalPostgresError("posix_spawn \(program): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw LocalPostgresError("\(program) failed (status \(status)): \(text)\n\(log)")
        }
    }

    /// A directory the server's user owns.
    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/parallax-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LocalPostgresError("mkdtemp failed") }
        let path = String(cString: made)
        if getuid() == 0 {
            guard chown(path, 65534, 65534) == 0 else { throw LocalPostgresError("chown \(path) failed") }
        }
        return path
    }

    /// A port of loopback that nothing listens on now.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalPostgresError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw LocalPostgresError("bind failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LocalPostgresError("getsockname failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

package struct LocalPostgresError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

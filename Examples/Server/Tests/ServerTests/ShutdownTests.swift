import ServerKit
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The server as it is deployed: its own process, stopped with SIGTERM.
@Suite(.timeLimit(.minutes(1)))
struct ShutdownTests {
    @Test func sigtermLetsARequestInFlightFinishThenEndsTheServerAndItsWorkers() async throws {
        let server = try ServerProcess.start()
        defer { server.kill() }
        let port = try #require(server.waitForLine(containing: "listening on http://127.0.0.1:")).split(
            separator: ":"
        ).last.flatMap { Int($0.prefix { $0.isNumber }) }
        let listening = try #require(port)
        let workers = server.children()
        #expect(workers.count == 2)

        // A blur that takes a while; SIGTERM once the server has the request.
        let image = PGMImage(
            width: 1_024, height: 1_024,
            pixels: (0..<1_024 * 1_024).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        async let answer = LoopbackHTTPClient.withConnection(port: listening) { client in
            try await client.send(.POST, "/transform?radius=16", body: image.encoded())
        }
        _ = server.waitForLine(containing: "Request")
        server.signal(SIGTERM)

        let response = try await answer
        #expect(response.status == 200)
        #expect(response.body == Blur.blurred(image, radius: 16).encoded())
        #expect(server.waitForExit() == 0)
        for worker in workers { #expect(kill(worker, 0) != 0, "worker \(worker) outlived the server") }
    }
}

/// The example's executable, started as a server on a free port with debug logs on a pipe.
final class ServerProcess: Sendable {
    let pid: pid_t
    private let output: Int32
    private let buffer = Mutex<[UInt8]>([])

    private init(pid: pid_t, output: Int32) {
        self.pid = pid
        self.output = output
    }

    static func start() throws -> ServerProcess {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Failed(what: "pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The server logs to stderr.
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let arguments = [
            TestServer.workerPath, "serve", "--port", "0", "--workers", "2", "--log-level", "debug",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, TestServer.workerPath, &actions, nil, &argv, environ)
        close(fds[1])
        guard rc == 0 else { throw Failed(what: "posix_spawn: \(rc)") }
        return ServerProcess(pid: pid, output: fds[0])
    }

    struct Failed: Error {
        var what: String
    }

    /// Reads the server's output until a line holds `text`; nil when the output ends first or
    /// nothing comes for 20 seconds.
    func waitForLine(containing text: String) -> String? {
        while true {
            let found = buffer.withLock { bytes -> String? in
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                return lines.first { $0.contains(text) }.map(String.init)
            }
            if let found { return found }
            var ready = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
            guard poll(&ready, 1, 20_000) == 1 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(output, &chunk, chunk.count)
            guard count > 0 else { return nil }
            buffer.withLock { $0 += chunk[..<count] }
        }
    }

    /// The server's child processes (its workers), from every thread's list.
    func children() -> [pid_t] {
        var children: [pid_t] = []
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let thread = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let file = fopen("/proc/\(pid)/task/\(thread)/children", "r") else { continue }
            var line = [CChar](repeating: 0, count: 4096)
            if fgets(&line, Int32(line.count), file) != nil {
                let text = String(
                    decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                children += text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
            }
            fclose(file)
        }
        return children
    }

    func signal(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    /// Waits for the server to end; its exit status, or -1 when a signal ended it.
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        guard waitpid(pid, &status, 0) == pid else { return -1 }
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
    }

    func kill() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, WNOHANG)
        close(output)
    }
}

import CParallaxSystem
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ParentDeathTests {
    @Test(arguments: ["idle", "busy", "children"])
    func killingTheParentWithSIGKILLLeavesNoWorkerBehind(workers state: String) throws {
        // Start the test worker executable as a parent with two workers of its own; "busy"
        // workers run a task that never returns and never reads its channel again.
        let (pid, output) = try FileDescriptorPipe.startParent(workers: state)

        // The parent prints its workers' pids once both have answered a task.
        let line = output.readLine()
        close(output.read)
        let parts = line.split(separator: " children", omittingEmptySubsequences: false)
        let words = parts[0].split(separator: " ")
        try #require(words.first == "pids", "parent printed: \(line)")
        let workers = words.dropFirst().compactMap { Int32($0) }
        #expect(workers.count == 2)
        let children = parts.count > 1 ? parts[1].split(separator: " ").compactMap { Int32($0) } : []
        #expect(children.count == (state == "children" ? 2 : 0))
        let watches = try workers.map { try ProcessWatch(pid: $0) }
        let childWatches = try children.map { try ProcessWatch(pid: $0) }

        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)

        for (worker, watch) in zip(workers, watches) {
            #expect(watch.wait(timeout: .seconds(10)), "worker \(worker) outlived its parent")
        }
        for (child, watch) in zip(children, childWatches) {
            let ended = watch.wait(timeout: .seconds(10))
            if !ended { kill(child, SIGKILL) }
            #expect(ended, "child \(child) of a worker outlived the parent")
        }
    }
}

/// The dead-man switch: a worker whose pool's lease deadline passes without a renewal ends
/// itself, whether the parent is frozen or just stopped renewing.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LeaseDeadlineTests {
    @Test func aFrozenParentsWorkersEndAtTheirLeaseDeadline() throws {
        let (pid, output) = try FileDescriptorPipe.startParent(workers: "leased")
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }

        // Printed after three leases' worth of renewals: the workers lived through them.
        let workers = try output.readWorkerPIDs()
        try #require(workers.count == 2)
        let watches = try workers.map { try ProcessWatch(pid: $0) }
        #expect(workers.allSatisfy { kill($0, 0) == 0 }, "a renewed lease keeps the workers")

        // Frozen, the parent renews nothing and kills nothing: the workers end on their own.
        kill(pid, SIGSTOP)
        for (worker, watch) in zip(workers, watches) {
            #expect(watch.wait(timeout: .seconds(10)), "worker \(worker) outlived its lease")
        }
    }

    @Test func aTaskWhoseWorkersLeaseLapsesFailsAsACrashThatSaysSo() async throws {
        try await TestPool.with(workers: 1) { pool in
            #expect(try await pool.submit(Echo(1)) == 1)  // the worker started before the deadline came
            pool.setLeaseDeadline(after: .milliseconds(300))
            let result = await pool.answer(try pool.encode(Hang()), timeout: nil)
            guard case .failure(let error) = result else {
                Issue.record("the task outlived its worker's lease")
                return
            }
            #expect(error.kind == .crashed)
            #expect(error.trace.contains("lease deadline passed"), "\(error.trace)")
            #expect(error.termination == .signaled(SIGKILL), "it ends its process group, itself included")

            // Disarmed, the replacement worker runs tasks as before.
            pool.setLeaseDeadline(after: nil)
            #expect(try await pool.submit(Echo(5)) == 5)
        }
    }
}

/// A pipe whose read end the test reads line by line.
struct FileDescriptorPipe {
    let read: Int32
    let write: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard cpx_pipe_cloexec(&fds) == 0 else { throw ProcessWatch.OpenError(errno: errno) }
        read = fds[0]
        write = fds[1]
    }

    /// Starts the test worker executable as a parent with two workers of its own, in the state
    /// `workers` names (see its `main.swift`), its stdout on a pipe whose read end is returned.
    /// - Parameter path: The executable, when not the test worker's own path (a copy of it).
    /// - Parameter count: How many workers.
    /// - Parameter environment: Variables added to this process's, as `NAME=value`.
    static func startParent(
        workers state: String, path: String = TestPool.workerPath, count: Int = 2, environment: [String] = []
    ) throws -> (pid_t, FileDescriptorPipe) {
        let output = try FileDescriptorPipe()
        var pid: pid_t = 0
        let arguments = [path, "parent", "\(count)", state]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) }
        defer { for pointer in variables.prefix(environment.count) { free(pointer) } }
        var index = 0
        while let variable = environ[index] {
            variables.append(variable)
            index += 1
        }
        variables.append(nil)
        // A fresh copy of an executable can fail to start with ETXTBSY for a moment: a child that
        // another test forks at the same time holds the copy's write descriptor until that child
        // execs. Nothing announces that exec, so the spawn is tried again a few times.
        var rc = posix_spawn(&pid, path, &actions, nil, &argv, &variables)
        var tries = 1
        while rc == ETXTBSY, tries < 100 {
            usleep(10_000)
            rc = posix_spawn(&pid, path, &actions, nil, &argv, &variables)
            tries += 1
        }
        close(output.write)
        guard rc == 0 else { throw ProcessWatch.OpenError(errno: rc) }
        return (pid, output)
    }

    /// Reads the parent's line (`pids P1 P2 children C1 C2`) and closes the pipe.
    /// - Returns: Its workers' pids.
    func readWorkerPIDs() throws -> [Int32] {
        let line = readLine()
        close(read)
        let words = (line.split(separator: " children").first ?? "").split(separator: " ")
        try #require(words.first == "pids", "parent printed: \(line)")
        return words.dropFirst().compactMap { Int32($0) }
    }

    func readLine() -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(read, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

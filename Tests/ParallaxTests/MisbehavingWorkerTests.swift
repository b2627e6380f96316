import Logging
import Parallax
import ParallaxTestTasks
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Workers that break the protocol on purpose: the parent never crashes, fails the task with a
/// protocol error and replaces the worker. (That a header's claim is never allocated is checked
/// on the frame decoder itself, in WireTests.)
@Suite(.timeLimit(.minutes(2)))
struct MisbehavingWorkerTests {
    @Test(arguments: Misbehave.Mode.allCases)
    func aWorkerThatBreaksTheProtocolFailsOnlyItsTaskAndIsReplaced(mode: Misbehave.Mode) async throws {
        try await TestPool.with(workers: 1) { pool in
            let first = try await pool.submit(WhoAmI())
            let error = await #expect(throws: TaskError.self) { try await pool.submit(Misbehave(mode)) }
            #expect(error?.kind == .protocolViolation, "\(error?.description ?? "")")
            #expect(error?.workerPID == first)
            // The pool carries on with a new worker.
            #expect(try await pool.submit(Echo(5)) == 5)
            #expect(try await pool.submit(WhoAmI()) != first)
        }
    }

    @Test func theErrorNamesWhatWasWrong() async throws {
        try await TestPool.with(workers: 1) { pool in
            let huge = await #expect(throws: TaskError.self) { try await pool.submit(Misbehave(.hugeHeader)) }
            #expect(huge?.message.contains("above the limit") == true, "\(huge?.message ?? "")")
            let kind = await #expect(throws: TaskError.self) {
                try await pool.submit(Misbehave(.unknownKind))
            }
            #expect(kind?.message.contains("99") == true, "\(kind?.message ?? "")")
            let cut = await #expect(throws: TaskError.self) {
                try await pool.submit(Misbehave(.truncatedFrame))
            }
            #expect(cut?.message.contains("inside a frame") == true, "\(cut?.message ?? "")")
        }
    }

    @Test func aWorkerWithAWrongHandshakeIsRefusedAndTasksAreRejectedNotHung() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(
            workers: 1, environment: [TestTasks.badHandshakeVariable: "1"], logger: logger
        ) { pool in
            let error = await #expect(throws: TaskError.self) { try await pool.submit(Echo(1)) }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("handshake") == true, "\(error?.message ?? "")")
        }
        #expect(store.messages.contains { $0.contains("worker failed to start") })
    }
}

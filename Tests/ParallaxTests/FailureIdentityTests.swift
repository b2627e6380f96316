import Testing

@testable import Parallax

/// Every failure the library builds has a named reason, and the reason, the kind and the type
/// name agree.
@Suite struct FailureIdentityTests {
    private static let report = ExitReport(
        termination: .signaled(9), stderrTail: ["Fatal error: Index out of range"], protocolError: nil,
        pid: 42)

    private static let built: [(TaskError, TaskError.Reason, TaskError.Kind)] = [
        (.crashed(task: "t", report: report), .workerCrashed, .crashed),
        (
            .crashed(
                task: "t",
                report: ExitReport(
                    termination: .signaled(6), stderrTail: ["fatal error: failed to allocate 1 bytes"],
                    protocolError: nil, pid: 42),
                limits: ResourceLimits(memoryBytes: 1 << 30)),
            .outOfMemory, .crashed
        ),
        (
            .crashed(
                task: "t",
                report: ExitReport(termination: .signaled(24), stderrTail: [], protocolError: nil, pid: 42),
                limits: ResourceLimits(cpuSeconds: 1)),
            .cpuLimitExceeded, .crashed
        ),
        (.timedOut(task: "t", after: .seconds(1), workerPID: 42), .timedOut, .timedOut),
        (.protocolViolation("bad frame"), .protocolViolation, .protocolViolation),
        (.cancelled(task: "t", running: true), .cancelled, .cancelled),
        (.cancelled(), .cancelled, .cancelled),
        (.shuttingDown(task: "t"), .poolShuttingDown, .rejected),
        (.abandonedAtShutdown(task: "t"), .poolShuttingDown, .cancelled),
        (.mailboxFull(task: "t", limit: 3), .mailboxFull, .rejected),
        (.poolFailed("gave up"), .poolFailed, .rejected),
        (.poolFailed(task: "t", .poolFailed("gave up")), .poolFailed, .rejected),
        (.noWorkerAvailable(task: "t", .spawnFailed(CodeOnly())), .noWorkerAvailable, .rejected),
        (.workerNotRestarted, .workerNotRestarted, .rejected),
        (.payloadTooLarge("the output", count: 9, limit: 8, workerPID: 42), .payloadTooLarge, .rejected),
        (.unregisteredTask("t", workerPID: 42), .unregisteredTask, .rejected),
        (.resultNotDecodable(task: "t", as: Int.self, CodeOnly()), .resultNotDecodable, .threw),
        (
            .resultNotEncodable(task: "t", CodeOnly(), location: "here", workerPID: 42), .resultNotEncodable,
            .threw
        ),
        (.spawnFailed(CodeOnly()), .spawnFailed, .rejected),
        (.workerStartFailed(report), .workerStartFailed, .crashed),
        (.bootstrapFailed, .bootstrapFailed, .threw),
        (.registryMismatch(workerPID: 42), .registryMismatch, .rejected),
        (
            .registryMismatch(served: [["a", "b"]], wanted: 0xabc, workerPID: 42), .registryMismatch,
            .rejected
        ),
        (.resourceLimitsNotApplied("limit its memory", workerPID: 42), .resourceLimitsNotApplied, .rejected),
        (.privilegesNotDropped("drop its groups", workerPID: 42), .privilegesNotDropped, .rejected),
        (.hostLost(task: "t", times: 3, history: "attempt 1 on node 7: host lost"), .hostLost, .hostLost),
        (
            .attemptsExhausted(
                task: "t", attempts: 3, last: .timedOut(task: "t", after: .seconds(1), workerPID: 4),
                history: ""),
            .attemptsExhausted, .attemptsExhausted
        ),
    ]

    private struct CodeOnly: Error {}

    @Test func everyFailureTheLibraryBuildsCarriesItsReasonAndKind() {
        for (error, reason, kind) in Self.built {
            #expect(error.reason == reason, "\(error)")
            #expect(error.type == reason.typeName, "\(error)")
            #expect(error.kind == kind, "\(error)")
            #expect(!error.message.isEmpty)
        }
        // Every reason is built somewhere.
        let reasons = Set(Self.built.map(\.1))
        #expect(reasons.count == 23)
    }

    @Test func aReasonSurvivesTheTripOverTheWire() throws {
        for (error, reason, _) in Self.built {
            let decoded = try WireCodec.decode(TaskError.self, from: WireCodec.encode(error))
            #expect(decoded.reason == reason)
        }
    }

    @Test func aLibraryErrorThatATaskThrowsKeepsItsParallaxName() {
        let thrown = TaskError(describing: ServiceError(kind: .threw, method: "m", message: "no"))
        #expect(thrown.type == "Parallax.ServiceError")
        #expect(thrown.reason == nil)
    }

    @Test func anErrorATaskThrewHasNoReason() {
        struct ShardError: Error {}
        #expect(TaskError(describing: ShardError()).reason == nil)
        #expect(TaskError.Reason(type: "MyApp.WorkerCrash") == nil)
        #expect(TaskError.Reason(type: "Parallax.WorkerCrash") == .workerCrashed)
        #expect(TaskError(describing: CancellationError()).reason == .cancelled)
    }

    @Test func theCrashReasonIsInTheMessage() {
        let error = TaskError.crashed(task: "resize", report: Self.report)
        #expect(error.message.contains("'resize'"))
        #expect(error.message.contains("Index out of range"))
        #expect(error.workerPID == 42)
    }
}

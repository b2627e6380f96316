import InMemoryTracing
import Logging
import Parallax
import ParallaxTestTasks
import ParallaxWire
import Testing
import Tracing

/// A caller's trace crosses into the worker with the task and back with a service call, through
/// the instruments each process bootstrapped; the pool records a span for each task's life.
@Suite(.timeLimit(.minutes(1)))
struct TracingTests {
    /// The parent's tracer: the test process's instrument.
    let tracer = TestTracer.shared

    @Test func aSpanThatATaskStartsInItsWorkerIsAChildOfThePoolsSpanForItWhichIsAChildOfTheCallers()
        async throws
    {
        try await TestPool.with(workers: 2) { pool in
            let (report, request) = try await tracer.withSpan("request") { span in
                (try await pool.submit(TracedWork()), span.spanContext)
            }
            let spans = tracer.finishedSpans(inTrace: request.traceID)
            let task = try #require(spans.first { $0.operationName == "run \(TracedWork.taskName)" })
            #expect(task.parentSpanID == request.spanID)
            #expect(task.kind == .client)
            #expect(task.status == nil)
            #expect(task.attributes["parallax.worker.pid"]?.toSpanAttribute() == .int64(Int64(report.pid)))
            #expect(task.attributes["parallax.task.name"]?.toSpanAttribute() == .string(TracedWork.taskName))
            #expect(task.attributes["parallax.task.attempts"]?.toSpanAttribute() == .int64(1))
            #expect(task.events.map(\.name) == ["parallax.sent"])

            // In the worker: the context it received is the pool's span, and its own span is a
            // child of it, in the caller's trace.
            #expect(
                report.received
                    == SeenSpan(
                        InMemorySpanContext(
                            traceID: request.traceID, spanID: task.spanID, parentSpanID: nil)))
            let own = try #require(report.own)
            #expect(own.traceID == request.traceID)
            #expect(own.parentSpanID == task.spanID)
            #expect(own.spanID != task.spanID)
        }
    }

    @Test func tasksOfAWaitGroupAndChunksOfAMapCarryTheirCallersTraceToo() async throws {
        try await TestPool.with(workers: 2) { pool in
            let (reports, seen, batch) = try await tracer.withSpan("batch") { span in
                let group = WaitGroup(of: TracedReport.self, isolation: .process(pool))
                for _ in 0..<3 { try group.go(TracedWork()) }
                let reports = await group.wait().compactMap(\.value)
                let seen = try await pool.mapValues(Array(0..<8), TracingProbe.seenByMap, chunkSize: 2)
                return (reports, seen, span.spanContext)
            }
            #expect(reports.count == 3)
            let spans = tracer.finishedSpans(inTrace: batch.traceID)
            let runs = spans.filter { $0.operationName == "run \(TracedWork.taskName)" }
            let chunks = spans.filter { $0.operationName == "map test.tracing.seenByMap" }
            #expect(runs.count == 3)
            #expect(chunks.count == 4)
            #expect((runs + chunks).allSatisfy { $0.parentSpanID == batch.spanID })
            #expect(Set(reports.compactMap(\.received?.spanID)) == Set(runs.map(\.spanID)))
            #expect(Set(reports.compactMap(\.own?.parentSpanID)) == Set(runs.map(\.spanID)))
            #expect(seen.count == 8)
            #expect(Set(seen.compactMap { $0?.spanID }) == Set(chunks.map(\.spanID)))
            #expect(
                chunks.allSatisfy { $0.attributes["parallax.map.inputs"]?.toSpanAttribute() == .int64(2) })
        }
    }

    @Test func aCrashAndATimeoutMarkTheTasksSpanAsAnErrorWithTheReasonAndRetriesAreEvents() async throws {
        try await TestPool.with(workers: 2) { pool in
            let trace = await tracer.withSpan("faults") { span in
                await #expect(throws: TaskError.self) {
                    try await pool.submit(Crash(.fatalError), retry: .attempts(2))
                }
                await #expect(throws: TaskError.self) {
                    try await pool.submit(Hang(), timeout: .milliseconds(300))
                }
                return span.spanContext.traceID
            }
            let spans = tracer.finishedSpans(inTrace: trace)
            let crash = try #require(spans.first { $0.operationName == "run \(Crash.taskName)" })
            #expect(crash.status?.code == .error)
            // The slot's crash reason: the signal and the line the worker printed as it died.
            let reason = try #require(crash.status?.message)
            #expect(reason.contains("crashed with signal SIGILL"), "\(reason)")
            #expect(reason.contains("Fatal error: the task gave up on purpose"), "\(reason)")
            #expect(
                crash.attributes["error.type"]?.toSpanAttribute()
                    == .string(TaskError.Reason.workerCrashed.typeName))
            #expect(crash.attributes["parallax.task.attempts"]?.toSpanAttribute() == .int64(2))
            #expect(crash.events.map(\.name) == ["parallax.sent", "parallax.retry", "parallax.sent"])
            #expect(crash.errors.count == 1)

            let hang = try #require(spans.first { $0.operationName == "run \(Hang.taskName)" })
            #expect(hang.status?.code == .error)
            #expect(
                hang.attributes["error.type"]?.toSpanAttribute()
                    == .string(TaskError.Reason.timedOut.typeName))
        }
    }

    @Test func aServiceCallFromATracedTaskRunsItsHandlerInTheTasksContext() async throws {
        var services = ServiceRegistry()
        services.register(TracingProbe.seen) { _ in SeenSpan.current }
        try await TestPool.with(workers: 1, services: services) { pool in
            let report = try await tracer.withSpan("request") { _ in
                try await pool.submit(TracedWork(callParent: true))
            }
            let own = try #require(report.own)
            // The handler ran in the worker's span, as the parent's tracer extracted it.
            #expect(
                report.parentSaw
                    == SeenSpan(
                        InMemorySpanContext(traceID: own.traceID, spanID: own.spanID, parentSpanID: nil)))
        }
    }

    @Test func aTasksLogLinesCarryTheTraceAndSpanIDs() async throws {
        let (logger, store) = CapturingLogHandler.logger()
        try await TestPool.with(workers: 1, logger: logger) { pool in
            let request = try await tracer.withSpan("request") { span in
                _ = try await pool.submit(TracedWork(log: true))
                return span.spanContext
            }
            let task = try #require(
                tracer.finishedSpans(inTrace: request.traceID).first {
                    $0.operationName == "run \(TracedWork.taskName)"
                })
            let line = await store.waitForMessage(containing: "traced work")
            #expect(line.contains("trace_id=\(request.traceID)"), "\(line)")
            #expect(line.contains("span_id=\(task.spanID)"), "\(line)")
        }
    }

    @Test func outsideAServiceContextTasksGoPlainAndStartNoSpan() async throws {
        try await TestPool.with(workers: 1) { pool in
            #expect(ServiceContext.current == nil)
            #expect(try pool.encode(TracedWork()).trace == nil)
            let report = try await pool.submit(TracedWork())
            #expect(report.received == nil)
            #expect(report.own?.parentSpanID == nil)
        }
    }
}

struct TraceWireTests {
    @Test func aTracedPayloadCarriesItsContextBeforeThePlainPayload() throws {
        let context = try #require(
            TracedPayload.context(
                ["traceparent": "00-ab-cd-01", "baggage": "k=v"].sorted { $0.key < $1.key }))
        let run = try RunRequest.payload(name: "Task", input: 42)
        let traced = Frame(kind: .runTraced, id: 7, payload: TracedPayload.wrap(context, around: run))
        let read = try TracedPayload(traced)
        #expect(read.frame == Frame(kind: .run, id: 7, payload: run))
        #expect(read["traceparent"] == "00-ab-cd-01")
        #expect(read["baggage"] == "k=v")
        #expect(throws: ProtocolError.self) { try TracedPayload(Frame(kind: .run, id: 7, payload: run)) }
        #expect(throws: ProtocolError.self) {
            try TracedPayload(Frame(kind: .runTraced, id: 7, payload: Array(traced.payload.prefix(9))))
        }
        for kind in Frame.Kind.allCases {
            if let tracedKind = kind.traced { #expect(tracedKind.plain == kind) }
        }
    }

    @Test func aContextOverTheLimitOrWithNothingInItIsNotSent() {
        #expect(TracedPayload.context([(key: String, value: String)]()) == nil)
        let huge = String(repeating: "x", count: TracedPayload.maximumContextSize)
        #expect(TracedPayload.context([(key: "baggage", value: huge)]) == nil)
        let many = (0...TracedPayload.maximumEntries).map { (key: "k\($0)", value: "v") }
        #expect(TracedPayload.context(many) == nil)
    }

    @Test func onlyAWellFormedW3CTraceParentGivesLogIDs() {
        let good = TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        #expect(good?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(good?.spanID == "00f067aa0ba902b7")
        #expect(TraceParent(nil) == nil)
        #expect(TraceParent("00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01") == nil)
        #expect(TraceParent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7") == nil)
    }
}

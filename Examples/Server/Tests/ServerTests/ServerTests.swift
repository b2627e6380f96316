import Parallax
import ServerKit
import Testing

/// The example server over real HTTP, with real workers: each endpoint's answers, and the
/// failures the pool contains (a hung pattern, a decoder that traps) followed by healthy requests.
@Suite(.timeLimit(.minutes(1)))
struct ServerTests {
    @Test func aRegularExpressionIsEvaluatedInAWorkerAndABadOneIsTheClientsError() async throws {
        try await TestServer.with { port, _, _ in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                let found = try await client.post("/regex", json: #"{"pattern":"b+","text":"abbcbbb"}"#)
                #expect(found.status == 200)
                #expect(found.text.contains(#""count":2"#), "\(found.text)")
                #expect(found.text.contains(#"["bb","bbb"]"#), "\(found.text)")

                let invalid = try await client.post("/regex", json: #"{"pattern":"(b+","text":"abc"}"#)
                #expect(invalid.status == 400)
                #expect(invalid.text.contains("does not compile"), "\(invalid.text)")

                let malformed = try await client.post("/regex", json: #"{"pattern":1}"#)
                #expect(malformed.status == 400)
            }
        }
    }

    @Test func aPatternThatBacktracksForeverGets504WithTheReasonAndTheServerKeepsServing() async throws {
        try await TestServer.with(regexTimeout: .milliseconds(300)) { port, pool, _ in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                let text = String(repeating: "a", count: 64) + "!"
                let hung = try await client.post("/regex", json: #"{"pattern":"(a+)+$","text":"\#(text)"}"#)
                #expect(hung.status == 504)
                #expect(hung.text.contains("ran past its timeout"), "\(hung.text)")
                #expect(hung.text.contains("was stopped"), "\(hung.text)")

                for _ in 0..<4 {
                    let healthy = try await client.post("/regex", json: #"{"pattern":"a","text":"banana"}"#)
                    #expect(healthy.status == 200)
                    #expect(healthy.text.contains(#""count":3"#))
                }
            }
            #expect(await Self.aWorkerWasRestarted(pool))
        }
    }

    @Test func aDocumentThatCrashesTheDecoderGets422WithTheCrashReasonAndHealthyOnesSucceed() async throws {
        try await TestServer.with { port, pool, _ in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                let image = Self.image(width: 4, height: 4)
                let summary = try await client.send(.POST, "/decode", body: image.encoded())
                #expect(summary.status == 200)
                #expect(summary.text.contains(#""width":4"#), "\(summary.text)")

                // The header announces 40 × 40 pixels; the file holds 16. The decoder traps.
                let truncated = Array("P5\n40 40\n255\n".utf8) + image.pixels
                let crashed = try await client.send(.POST, "/decode", body: truncated)
                #expect(crashed.status == 422)
                #expect(crashed.text.contains("crashed with signal SIGILL"), "\(crashed.text)")
                #expect(crashed.text.contains("Index out of range"), "\(crashed.text)")

                let notAnImage = try await client.send(.POST, "/decode", body: Array("GIF89a".utf8))
                #expect(notAnImage.status == 400)

                for _ in 0..<4 {
                    let healthy = try await client.send(.POST, "/decode", body: image.encoded())
                    #expect(healthy.status == 200)
                }
                #expect(try await client.send(.GET, "/health").text == "ok")
            }
            #expect(await Self.aWorkerWasRestarted(pool))
        }
    }

    @Test func aBlurIsComputedInStripesAcrossTheWorkersAndMatchesTheWholeImagesBlur() async throws {
        try await TestServer.with { port, _, _ in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                let image = Self.image(width: 150, height: 200)
                let answer = try await client.send(.POST, "/transform?radius=3", body: image.encoded())
                #expect(answer.status == 200)
                #expect(answer.body == Blur.blurred(image, radius: 3).encoded())
                #expect(Blur.stripes(of: image, radius: 3).count == 4)

                let badRadius = try await client.send(.POST, "/transform?radius=0", body: image.encoded())
                #expect(badRadius.status == 400)
                let truncated = try await client.send(
                    .POST, "/transform", body: Array(image.encoded().dropLast()))
                #expect(truncated.status == 400)
                #expect(truncated.text.contains("holds 29999 of its 30000 pixels"), "\(truncated.text)")
            }
        }
    }

    @Test func metricsShowThePoolsCountersBesideTheServers() async throws {
        try await TestServer.with { port, _, _ in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                _ = try await client.post("/regex", json: #"{"pattern":"a","text":"a"}"#)
                let metrics = try await client.send(.GET, "/metrics")
                #expect(metrics.status == 200)
                #expect(
                    metrics.headers.contains {
                        $0.0 == "Content-Type" && $0.1.hasPrefix("text/plain; version=0.0.4")
                    })
                for family in [
                    "parallax_tasks_submitted_total", "parallax_tasks_completed_total",
                    "parallax_worker_restarts_total",
                    "parallax_task_duration_bucket", "hb_requests", "http_server_request_duration",
                ] {
                    #expect(metrics.text.contains(family), "no \(family) in /metrics")
                }
                #expect(metrics.text.contains(#"parallax_tasks_completed_total{pool="server"}"#))
            }
        }
    }

    /// A request's trace, from the client's span through the server's, the pool's span for the
    /// task, and into the worker, whose span reaches the server's log through the worker's output.
    @Test func aRequestsTraceFollowsItIntoTheWorkerAndBack() async throws {
        let tracer = TestServer.observability.1
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let clientSpan = "00f067aa0ba902b7"
        try await TestServer.with { port, _, lines in
            try await LoopbackHTTPClient.withConnection(port: port) { client in
                let answer = try await client.post(
                    "/regex", json: #"{"pattern":"n","text":"banana"}"#,
                    headers: [("traceparent", "00-\(traceID)-\(clientSpan)-01")])
                #expect(answer.status == 200)
            }
            let request = await tracer.span { $0.ids.traceID == traceID && $0.kind == .server }
            #expect(request.parentSpanID == clientSpan)
            let task = await tracer.span {
                $0.ids.traceID == traceID && $0.operationName == "run ServerKit.RegexSearch"
            }
            #expect(task.parentSpanID == request.ids.spanID)
            #expect(task.kind == .client)
            #expect(task.attributes["parallax.worker.pid"] != nil)

            // The worker's own span, as its tracer wrote it: a child of the pool's span.
            let line = await lines.line(containing: "span regex.evaluate")
            #expect(line.contains("trace_id=\(traceID)"), "\(line)")
            #expect(line.contains("parent_span_id=\(task.ids.spanID)"), "\(line)")
            #expect(line.contains("regex.matches=2"), "\(line)")
        }
    }

    /// Whether the pool restarted a worker: waits for the event (the pool's events replay the
    /// recent past, so one that came first is seen too).
    static func aWorkerWasRestarted(_ pool: WorkerPool) async -> Bool {
        for await event in pool.events where event.kind == .workerRestarting { return true }
        return false
    }

    /// A grey ramp.
    static func image(width: Int, height: Int) -> PGMImage {
        PGMImage(
            width: width, height: height,
            pixels: (0..<width * height).map {
                UInt8(truncatingIfNeeded: ($0 % width) * 7 + ($0 / width) * 3)
            })
    }
}

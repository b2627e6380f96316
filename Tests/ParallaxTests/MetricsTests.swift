import MetricsTestKit
import Parallax
import ParallaxTestTasks
import Testing

@Suite(.timeLimit(.minutes(1)))
struct MetricsTests {
    @Test func thePoolCountsTasksByOutcomeAndRecordsTheirDuration() async throws {
        let metrics = TestMetrics()
        var configuration = TestPool.configuration(workers: 1)
        configuration.name = "metrics-test"
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, metricsFactory: metrics)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            for value in 0..<3 { _ = try await pool.submit(Echo(value)) }
            await #expect(throws: TaskError.self) { try await pool.submit(Fail("no", code: 1)) }
            await #expect(throws: TaskError.self) { try await pool.submit(Crash(.exit3)) }
            _ = try await pool.submit(Echo(9))
            pool.shutdown()
            try await group.waitForAll()
        }
        let dimensions = [("pool", "metrics-test")]
        #expect(metrics.counterTotal(label: "parallax_tasks_submitted_total", dimensions: dimensions) == 6)
        #expect(metrics.counterTotal(label: "parallax_tasks_completed_total", dimensions: dimensions) == 4)
        #expect(
            metrics.counterTotal(
                label: "parallax_tasks_failed_total", dimensions: dimensions + [("kind", "threw")])
                == 1)
        #expect(
            metrics.counterTotal(
                label: "parallax_tasks_failed_total", dimensions: dimensions + [("kind", "crashed")]) == 1)
        #expect(metrics.counterTotal(label: "parallax_worker_restarts_total", dimensions: dimensions) == 1)
        let duration = try metrics.expectTimer("parallax_task_duration", dimensions)
        #expect(duration.values.count == 6)
        #expect(duration.values.allSatisfy { $0 > 0 })
    }

    @Test func serviceCallsAreCountedByOutcomeAndTimed() async throws {
        let metrics = TestMetrics()
        var configuration = TestPool.configuration(workers: 1)
        configuration.name = "service-metrics"
        let host = ServiceHost()
        let pool = WorkerPool(
            configuration: configuration, tasks: TestTasks.registry, services: host.registry,
            metricsFactory: metrics)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            _ = try await pool.submit(CallService(.echo("a")))
            _ = try await pool.submit(CallService(.echo("b")))
            _ = try await pool.submit(CallService(.fail(code: 3)))
            _ = try await pool.submit(CallService(.missing))
            pool.shutdown()
            try await group.waitForAll()
        }
        let dimensions = [("pool", "service-metrics")]
        #expect(metrics.counterTotal(label: "parallax_service_calls_total", dimensions: dimensions) == 2)
        for kind in ["threw", "unknownMethod"] {
            #expect(
                metrics.counterTotal(
                    label: "parallax_service_call_failures_total", dimensions: dimensions + [("kind", kind)])
                    == 1)
        }
        let duration = try metrics.expectTimer("parallax_service_call_duration", dimensions)
        #expect(duration.values.count == 3)  // the unknown method never ran
    }
}

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
}

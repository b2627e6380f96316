import Parallax
import ParallaxTestTasks
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SmokeTests {
    @Test(.timeLimit(.minutes(1)))
    func addRunsInAWorker() async throws {
        let sum = try await TestPool.with { pool in try await pool.submit(Add(2, 3)) }
        #expect(sum == 5)
    }
}

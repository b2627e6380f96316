// The README's "In a server" example, verbatim.

import Logging
import Parallax
import ServiceLifecycle
import Tracing
import UnixSignals

func serve(_ server: some Service, pool: WorkerPool, logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: [.init(service: pool), .init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
}

func statsHandler(_ pool: WorkerPool, userID: Int) async throws -> Int {
    // In a traced request (Hummingbird's TracingMiddleware, or withSpan as here), the pool
    // records a span for the task, and the task runs in its worker in that span's context.
    try await withSpan("GET /stats") { _ in
        try await pool.submit(userStats, userID, timeout: .seconds(2))
    }
}

import GRDB
import Parallax
import ResultStoreKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The example end to end: real worker processes store through the parent's GRDB database.
@Suite struct ResultStoreTests {
    /// The example's executable, built beside the test bundle: it serves as the workers.
    static var workerPath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var path = String(decoding: buffer[..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "result-store"
    }

    static func withDatabase<Result>(_ body: (ResultsDatabase, WorkerPool) async throws -> Result)
        async throws -> Result
    {
        let path = "/tmp/result-store-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        defer { unlink(path) }
        let database = try ResultsDatabase(path: path)
        let configuration = WorkerPool.Configuration(workerCount: 2, executable: .path(workerPath))
        return try await WorkerPool.withPool(
            configuration: configuration, tasks: ScoreDocument.registry, services: database.services
        ) { pool in try await body(database, pool) }
    }

    @Test func workersStoreTheirScoresThroughTheParentsDatabase() async throws {
        try await Self.withDatabase { database, pool in
            let group = WaitGroup(of: ScoreDocument.Stored.self, isolation: .process(pool))
            for document in 0..<50 {
                try group.go(ScoreDocument(document: document, text: ScoreDocument.sample(document)))
            }
            let stored = await group.wait().compactMap(\.value)
            #expect(stored.count == 50)
            #expect(Set(stored.map(\.rowID)).count == 50)
            #expect(try await database.count() == 50)
            let top = try await database.top(50)
            for score in top {
                #expect(score == Score.of(ScoreDocument.sample(score.document), document: score.document))
            }
        }
    }

    @Test func aDatabaseErrorInTheParentReachesTheTaskAsATypedError() async throws {
        try await Self.withDatabase { database, pool in
            _ = try await pool.submit(ScoreDocument(document: 7, text: "first"))
            let error = await #expect(throws: TaskError.self) {
                try await pool.submit(ScoreDocument(document: 7, text: "again"))
            }
            // The task did not catch the service's error: it reached the caller with its kind.
            #expect(error?.type == "Parallax.ServiceError")
            #expect(error?.message.contains("UNIQUE constraint failed") == true, "\(error?.message ?? "")")
            #expect(try await database.count() == 1)
        }
    }
}

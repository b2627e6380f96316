import Parallax
import ResultStoreKit

#if canImport(Glibc)
    import Glibc
#endif

// In a worker: serve the tasks, then exit. In the parent: run the example.
await Worker.serveIfWorker(ScoreDocument.registry)

let path = "/tmp/result-store-\(getpid()).sqlite"
defer { unlink(path) }
let database = try ResultsDatabase(path: path)
let documents = 200

try await WorkerPool.withPool(
    configuration: WorkerPool.Configuration(workerCount: 4), tasks: ScoreDocument.registry,
    services: database.services
) { pool in
    try await withThrowingTaskGroup(of: ScoreDocument.Stored.self) { group in
        for document in 0..<documents {
            group.addTask {
                try await pool.submit(ScoreDocument(document: document, text: ScoreDocument.sample(document)))
            }
        }
        // The workers write through the service; the parent reads the same database meanwhile.
        var done = 0
        for try await _ in group {
            done += 1
            if done % 50 == 0 {
                print("\(done) tasks done; the database holds \(try await database.count()) scores")
            }
        }
    }
}
for score in try await database.top(3) {
    print("document \(score.document): \(score.words) words, longest '\(score.longestWord)'")
}

import Parallax

/// The tasks the demo runs in worker processes. Parent and workers build this same registry.
enum DemoTasks {
    static let registry: TaskRegistry = {
        var registry = TaskRegistry(
            CountEvents.self, TagUser.self, ChargeCard.self, ResizeImage.self, EchoTask.self, WorkerPID.self,
            ChaosTask.self)
        registry.register(echoBytes)
        registry.register(identity)
        registry.register(score)
        registry.register(CPUKernel.function)
        return registry
    }()

    /// Scores one image of the demo's map: a little CPU work per item.
    static let score = TaskFunction("parallax.score") { (image: Int) in
        CountEvents.count(shard: image, events: 200_000)
    }

    /// Returns its input: the map benchmark.
    static let identity = TaskFunction("parallax.identity") { (value: Int) in value }

    /// Returns its bytes: the payload benchmark.
    static let echoBytes = TaskFunction("parallax.echoBytes") { (bytes: [UInt8]) in bytes }
}

/// Counts the events of one shard that match a filter: CPU work of a fixed size.
struct CountEvents: WorkerTask {
    var dsn: String
    var shard: Int
    var events: Int

    func run(in context: WorkerContext) async throws -> Int {
        CountEvents.count(shard: shard, events: events)
    }

    /// The work itself, also run serially in the parent to compare.
    static func count(shard: Int, events: Int) -> Int {
        var state = UInt64(shard + 1) &* 0x9E37_79B9_7F4A_7C15
        var matches = 0
        for _ in 0..<events {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            if state % 7 == 0 { matches += 1 }
        }
        return matches
    }
}

/// Returns `[tag: userID]`: shows that a task sees its input as it was at `go`.
struct TagUser: WorkerTask {
    var userID: Int
    var tag: String

    func run(in context: WorkerContext) async throws -> String { "[\(tag): \(userID)]" }
}

/// An error with a numeric code, which survives the trip back to the parent.
struct PaymentDeclined: CodedError, CustomStringConvertible {
    var amount: Int
    var code: Int { 402 }
    var description: String { "card declined for \(amount) cents" }
}

/// Always declines: a task that throws.
struct ChargeCard: WorkerTask {
    var amount: Int

    func run(in context: WorkerContext) async throws -> String { throw PaymentDeclined(amount: amount) }
}

/// Has a bug: reads past the end of an array, which traps and kills its worker process.
struct ResizeImage: WorkerTask {
    var sizes: [Int]
    var pick: Int

    func run(in context: WorkerContext) async throws -> Int { sizes[pick] * 2 }
}

/// Returns its input: the smallest task, for measuring a round trip.
struct EchoTask: WorkerTask {
    var value: Int

    func run(in context: WorkerContext) async throws -> Int { value }
}

/// Returns the worker's process id.
struct WorkerPID: WorkerTask {
    func run(in context: WorkerContext) async throws -> Int32 { context.pid }
}

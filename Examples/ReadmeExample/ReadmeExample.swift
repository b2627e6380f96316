// The README's examples, verbatim: this target compiles them, and ReadmeTests checks that every
// swift block of README.md appears here unchanged.

import Parallax

struct CountEvents: WorkerTask {
    var dsn: String
    var shard: Int

    func run(in context: WorkerContext) async throws -> Int {
        shard * 1_000  // open a connection from `dsn` here: resources never cross the boundary
    }
}

let tasks = TaskRegistry(CountEvents.self)

func countAllShards() async throws {
    try await WorkerPool.withPool(configuration: .cpuBound, tasks: tasks) { pool in
        let group = WaitGroup(of: Int.self, isolation: .process(pool))
        for shard in 0..<4 {
            try group.go(CountEvents(dsn: "postgres://db/app", shard: shard))
        }
        for (index, slot) in await group.wait().enumerated() {
            switch slot.result {
            case .success(let count): print("slot \(index): \(count)")
            case .failure(let error): print("slot \(index) [\(error.kind)] \(error.type): \(error.message)")
            }
        }
    }
}

@main
struct App {
    static func main() async throws {
        await Worker.serveIfWorker(tasks)
        try await countAllShards()
    }
}

func inProcess() async {
    var counter = 0
    let group = WaitGroup(of: Int.self, limit: 8)  // at most 8 at once, errgroup's SetLimit
    group.go { [counter] in counter + 1 }  // the capture list copies counter now: a snapshot
    counter = 99
    print(await group.wait()[0].value ?? -1)  // 1
}

enum Report {
    static func userStats(_ userID: Int) async throws -> Int { userID * 3 }
}

let userStats = TaskFunction("Report.userStats", Report.userStats)
let square = TaskFunction("square") { (x: Int) in x * x }

func registry() -> TaskRegistry {
    var registry = TaskRegistry(CountEvents.self)
    registry.register(userStats)
    registry.register(square)
    return registry
}

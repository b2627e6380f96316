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

enum Inventory {
    static let reserve = ServiceMethod<String, Int>("inventory.reserve")
}

struct PlaceOrder: WorkerTask {
    var sku: String

    func run(in context: WorkerContext) async throws -> Int {
        do {
            return try await context.services.call(Inventory.reserve, sku, timeout: .seconds(2))
        } catch {
            // A ServiceError: threw (the parent's type, message and code), unknownMethod,
            // unavailable (shutting down), timedOut or cancelled.
            print("reserve failed: \(error)")
            throw error
        }
    }
}

func poolWithServices() -> WorkerPool {
    var services = ServiceRegistry()
    services.register(Inventory.reserve) { sku in sku.count }  // runs in the parent
    return WorkerPool(configuration: .default, tasks: TaskRegistry(PlaceOrder.self), services: services)
}

func lockedDownPool() -> WorkerPool {
    var configuration = WorkerPool.Configuration.default
    configuration.environment = .allowlist(["PATH", "HOME", "LANG", "TZ"])  // secrets stay in the parent
    configuration.environment["REPORT_DIR"] = "/var/reports"  // added on top
    configuration.privileges = .noNewPrivileges  // or .user(65534, group: 65534) under a root parent
    configuration.resourceLimits = ResourceLimits(memoryBytes: 1 << 30, openFiles: 256)
    return WorkerPool(configuration: configuration, tasks: registry())
}

func configuredPool() -> WorkerPool {
    var configuration = WorkerPool.Configuration.cpuBound
    configuration.taskTimeout = .seconds(30)  // a hung task is stopped: SIGTERM, then SIGKILL
    configuration.mailboxLimit = 1_000  // past it a submit fails at once, or waits (whenFull: .wait)
    configuration.dispatch = .leastMailbox  // or .roundRobin
    configuration.restartBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
    configuration.restartIntensity = RestartIntensity(maximumRestarts: 20, period: .seconds(10))
    configuration.recycling = Recycling(maximumTasks: 10_000, maximumResidentBytes: 1 << 30)
    configuration.resourceLimits = ResourceLimits(memoryBytes: 2 << 30, cpuSeconds: 600)
    configuration.queuedTasksOnShutdown = .drain
    return WorkerPool(configuration: configuration, tasks: registry())
}

func useThePool(_ pool: WorkerPool) async throws {
    // One task, with retries for a flaky native library.
    let stats = try await pool.submit(userStats, 42, retry: .attempts(3))

    // A bounded parallel map: chunks of 64 inputs, one frame each way, results in input order.
    let squares = try await pool.map(1...10_000, square, chunkSize: 64)

    // The same, as results arrive, for a progress bar.
    var done = 0
    for await item in try pool.mapStream(1...10_000, square, chunkSize: 64) where item.result.ok {
        done += 1
    }
    print(stats, squares.count, done)
}

func watch(_ pool: WorkerPool) async {
    // Each reader of pool.events gets every event: the recent past, then each new one.
    for await event in pool.events where event.kind == .workerCrashed || event.kind == .gaveUp {
        print(event)  // [workerCrashed] slot 1 pid 4242: worker pid 4242 crashed with signal SIGSEGV (11) ...
    }
}

func lookAtTheWorkers(_ pool: WorkerPool) {
    for worker in pool.workers {
        print(worker)  // slot 0 pid 4242 idle, 3 answered, 0 held, 0 restarts, 11 MiB
    }
    // To see supervision at work, kill one from outside (`kill -9 4242` in a shell): its slot
    // gets a new pid and counts a restart, and a task it was running fails as `crashed`.
}

import Parallax
import ParallaxPostgres

/// The chaos run's steady load: groups of tasks sent one after another, six waited for at a time,
/// each with an idempotency key, until the run says stop; every result checked against the value
/// its task must return.
final class ChaosLoad: Sendable {
    struct Tally: Sendable {
        var groups = 0
        var tasks = 0
        var delivered = 0
        var correct = 0
        var wrongValues = 0
        var poisonSent = 0
        var poisonExhausted = 0
        /// Poison tasks whose hosts died under them as often as their attempts allow: they end
        /// as lost by policy before their crashes use the attempts up.
        var poisonLostByPolicy = 0
        /// Failures of tasks that should have succeeded, by kind.
        var unexpectedFailures: [String: Int] = [:]
        /// Slots whose result was delivered twice.
        var duplicateDeliveries = 0
    }

    let seed: UInt64
    let slots: Int
    let longMilliseconds: Int
    let poisonPerMille: Int
    private let stopping = Locked(false)
    private let state = Locked(Tally())

    init(seed: UInt64, slots: Int, longMilliseconds: Int, poisonPerMille: Int) {
        self.seed = seed
        self.slots = slots
        self.longMilliseconds = longMilliseconds
        self.poisonPerMille = poisonPerMille
    }

    var tally: Tally { state.withLock { $0 } }

    /// No group is started after this; those sent are waited for.
    func stop() { stopping.withLock { $0 = true } }

    /// The task of a slot: mostly a millisecond, some a tenth of a second, a few long enough for
    /// a fault to land in them, and a few poison.
    func task(group: Int, slot: Int) -> ChaosWork {
        let draw = UInt64(
            bitPattern: ChaosWork.expected(group: group &+ Int(truncatingIfNeeded: seed) &* 7_919, slot: slot)
        )
        let perMille = Int(draw % 1_000)
        if perMille < poisonPerMille {
            return ChaosWork(group: group, slot: slot, milliseconds: 1, poison: true)
        }
        let milliseconds = perMille < 900 ? 1 : perMille < 990 ? 100 : longMilliseconds
        return ChaosWork(group: group, slot: slot, milliseconds: milliseconds)
    }

    func run(on node: QueueNode) async throws {
        try await withThrowingTaskGroup(of: Void.self) { groups in
            var next = 0
            var inFlight = 0
            while !stopping.withLock({ $0 }) {
                if inFlight == 6 {
                    try await groups.next()
                    inFlight -= 1
                    continue
                }
                let number = next
                next += 1
                inFlight += 1
                groups.addTask { try await self.runGroup(number, on: node) }
            }
            try await groups.waitForAll()
        }
    }

    private func runGroup(_ number: Int, on node: QueueNode) async throws {
        let group = try await node.group(
            of: Int64.self, queue: "chaos", idempotencyKey: "chaos-\(seed)-\(number)")
        let tasks = (0..<slots).map { task(group: number, slot: $0) }
        for task in tasks { try group.go(task) }
        state.withLock {
            $0.groups += 1
            $0.tasks += tasks.count
            $0.poisonSent += tasks.count { $0.poison }
        }
        var seen = Set<Int>()
        for try await (slot, result) in group.results() {
            let task = tasks[slot]
            let fresh = seen.insert(slot).inserted
            state.withLock { tally in
                guard fresh else {
                    tally.duplicateDeliveries += 1
                    return
                }
                tally.delivered += 1
                switch (task.poison, result.result) {
                case (true, .failure(let error)) where error.kind == .attemptsExhausted:
                    tally.poisonExhausted += 1
                case (true, .failure(let error)) where error.kind == .hostLost:
                    tally.poisonLostByPolicy += 1
                    tally.unexpectedFailures["hostLost", default: 0] += 1
                case (false, .success(let value)):
                    if value == ChaosWork.expected(group: number, slot: slot) {
                        tally.correct += 1
                    } else {
                        tally.wrongValues += 1
                    }
                case (_, .failure(let error)):
                    tally.unexpectedFailures["\(error.kind)", default: 0] += 1
                case (true, .success):
                    tally.wrongValues += 1
                }
            }
        }
    }
}

import Parallax

#if canImport(Glibc)
    import Glibc
#endif

/// One task of the chaos run: returns its id, or fails the way its plan says.
struct ChaosTask: WorkerTask {
    /// What the task does to its worker.
    enum Fault: String, Codable, Sendable, CaseIterable {
        /// Returns its id.
        case none
        /// Throws a coded error.
        case throwError
        /// Traps with `fatalError`.
        case crash
        /// Sleeps far past any timeout.
        case hang
        /// Allocates and touches memory until the worker's memory limit ends it.
        case exhaustMemory
    }

    var id: Int
    var fault: Fault

    func run(in context: WorkerContext) async throws -> Int {
        switch fault {
        case .none:
            return id
        case .throwError:
            throw ChaosError(code: id)
        case .crash:
            fatalError("chaos: planned crash of task \(id)")
        case .hang:
            try await Task.sleep(for: .seconds(3_600))
            return id
        case .exhaustMemory:
            var kept: [[UInt8]] = []
            while true { kept.append([UInt8](repeating: 1, count: 8 << 20)) }
        }
    }
}

/// The error a chaos task throws on plan.
struct ChaosError: CodedError, CustomStringConvertible {
    var code: Int
    var description: String { "chaos: planned error of task \(code)" }
}

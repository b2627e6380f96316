extension WorkerPool {
    /// One worker slot of a pool at a moment: see ``WorkerPool/workers``.
    public struct WorkerStatus: Sendable, Hashable, CustomStringConvertible {
        /// What a slot's worker is doing. A struct with static members, so that states can be added.
        public struct State: Sendable, Hashable, CustomStringConvertible {
            private let name: String

            private init(_ name: String) {
                self.name = name
            }

            /// A worker is being started (or restarted, after a backoff) and has not completed its
            /// handshake.
            public static let starting = State("starting")
            /// The worker holds no task.
            public static let idle = State("idle")
            /// The worker runs a task, and may hold more sent ahead.
            public static let busy = State("busy")
            /// The worker takes no more tasks: it is being recycled, or stopped after a timeout, a
            /// cancellation or a shutdown.
            public static let stopping = State("stopping")
            /// The slot has no worker and gets none: the pool has stopped it.
            public static let stopped = State("stopped")

            /// The state's name.
            public var description: String { name }
        }

        /// The slot's index, from 0.
        public var slot: Int
        /// The worker process's id, when the slot has one.
        public var pid: Int32?
        /// What the worker is doing.
        public var state: State
        /// How many tasks the current worker process has answered.
        public var tasksAnswered: Int
        /// How many tasks the worker holds: the one it runs and those sent ahead.
        public var tasksHeld: Int
        /// How many times the slot started a new worker after its first: crashes, timeouts,
        /// cancellations and recycling.
        public var restarts: Int
        /// The worker's resident memory in bytes when the snapshot was taken, if it could be read.
        public var residentBytes: Int?

        /// A line such as `slot 0 pid 4242 busy, 17 answered, 1 held, 0 restarts, 11 MiB`.
        public var description: String {
            "slot \(slot)" + (pid.map { " pid \($0)" } ?? "") + " \(state), \(tasksAnswered) answered, "
                + "\(tasksHeld) held, \(restarts) restarts"
                + (residentBytes.map { ", \($0 >> 20) MiB" } ?? "")
        }
    }

    /// A snapshot of every worker slot: its process, what it does, how much it has done.
    ///
    /// Handy to see supervision at work: kill a worker from outside and look again.
    ///
    /// ```swift
    /// for worker in pool.workers { print(worker) }  // slot 0 pid 4242 idle, 3 answered, ...
    /// if let pid = pool.workers.first?.pid { kill(pid, SIGKILL) }  // a new pid replaces it
    /// ```
    public var workers: [WorkerStatus] {
        let statuses = slotStatuses
        // Memory is read outside the lock: a /proc read per worker.
        return statuses.map { status in
            WorkerStatus(
                slot: status.slot, pid: status.handle?.pid, state: status.state,
                tasksAnswered: status.tasksAnswered,
                tasksHeld: status.tasksHeld, restarts: status.restarts,
                residentBytes: status.handle.flatMap { ProcessMemory.residentBytes(of: $0.pid) })
        }
    }
}

import Glibc
public import Parallax

extension QueueNode {
    /// How a node takes part in the queue: the queues it serves, its lease, and how it polls.
    ///
    /// The lease decides how fast a dead host's tasks run elsewhere and how long a database
    /// outage may last before a node stops its tasks: a node renews its lease every
    /// ``renewalInterval``; if it cannot for ``leaseDuration`` minus ``leaseMargin`` on its own
    /// monotonic clock, it kills its workers and stops claiming, before any other node may take
    /// its tasks (``leaseDuration`` plus ``reaperGrace`` on the database's clock). With the
    /// defaults, a host killed with `kill -9` has its tasks running elsewhere within about 18
    /// seconds, and a database outage shorter than about 10 seconds kills nothing.
    public struct Configuration: Sendable {
        /// The queues this node claims tasks from, when it has a pool.
        public var queues: [String] = ["default"]
        /// The host name recorded with the node.
        public var host: String = Configuration.hostName
        /// How long a lease lasts on the database's clock after each renewal.
        public var leaseDuration: Duration = .seconds(15)
        /// How often the node renews its lease.
        public var renewalInterval: Duration = .seconds(3)
        /// How much sooner than the database the node gives its lease up, on its own clock: time
        /// for its workers to be killed before anyone else may take their tasks.
        public var leaseMargin: Duration = .seconds(2)
        /// How long after a lease expired the reaper declares the node dead and takes its tasks.
        public var reaperGrace: Duration = .seconds(2)
        /// How often the node looks for dead nodes and overdue tasks.
        public var reaperInterval: Duration = .seconds(1)
        /// The weights of the priority lanes (``QueueLane``), the most urgent first: the share of
        /// each lane in what the node claims while every lane has ready tasks.
        public var laneWeights: [Int] = [8, 4, 2, 1]
        /// How often the consumer looks for ready tasks when no notification came.
        public var pollInterval: Duration = .milliseconds(250)
        /// How often a producer looks for results when no notification came.
        public var resultPollInterval: Duration = .seconds(1)
        /// How many tasks the node holds at once (running or waiting in its pool); `nil` for
        /// twice the pool's workers.
        public var concurrency: Int?
        /// The size of the pool of connections for claims, completions, submits and the
        /// reaper. The node opens one more for its lease and one for notifications, however
        /// many tasks run. Each connection's `application_name` says its node and role
        /// (`parallax-work host:pid`), unless the client's configuration sets one.
        public var connections: Int = 4
        /// The largest encoded input a task may have.
        public var maximumPayloadSize: Int = 1 << 20
        /// The policy of a task whose kind has none of its own in ``policies``.
        public var defaultPolicy = QueueTaskPolicy()
        /// Policies by task name (``/Parallax/WorkerTask/taskName`` or ``/Parallax/TaskFunction/name``).
        public var policies: [String: QueueTaskPolicy] = [:]
        /// Whether the node creates or migrates the queue's schema when it starts.
        public var migratesSchema = true
        /// How long a producer's statements (submitting a group, looking for its results) are
        /// tried again while the database cannot be reached (restarting, a connection dropped),
        /// before ``RemoteWaitGroup/wait()`` throws the database's error.
        public var outageTolerance: Duration = .seconds(60)
        /// How long the node waits for the answer to one of its statements before it gives it
        /// up and tries again as after a dropped connection. A connection that dies at the
        /// wrong moment can leave a statement unanswered; no loop of the node waits with it.
        public var statementTimeout: Duration = .seconds(20)

        /// Creates a configuration with the defaults.
        public init() {}

        /// Sets the policy of a task type.
        /// - Parameters:
        ///   - policy: The policy.
        ///   - task: The task type.
        public mutating func setPolicy<Task: WorkerTask>(_ policy: QueueTaskPolicy, for task: Task.Type) {
            policies[Task.taskName] = policy
        }

        /// Commits the effects of `task`'s successful results in the transactions that record
        /// them, through the attempts' fence (see ``CommittedTask``).
        public mutating func commitEffects<Task: CommittedTask>(of task: Task.Type) {
            committers[Task.taskName] = EffectCommitter(task)
        }

        /// The effects this node commits, by task name.
        var committers: [String: EffectCommitter] = [:]

        /// The policy of the tasks named `name`.
        func policy(for name: String) -> QueueTaskPolicy {
            policies[name] ?? defaultPolicy
        }

        /// Checks that the lease's durations fit together.
        func validate() throws(QueueNodeError) {
            guard leaseMargin > .zero, renewalInterval > .zero,
                renewalInterval < leaseDuration - leaseMargin
            else {
                throw .invalidConfiguration(
                    "the renewal interval (\(renewalInterval)) must be positive and shorter than the lease "
                        + "(\(leaseDuration)) less its margin (\(leaseMargin))")
            }
            guard laneWeights.count == QueueLane.all.count, laneWeights.allSatisfy({ $0 >= 0 }),
                laneWeights.contains(where: { $0 > 0 })
            else {
                throw .invalidConfiguration(
                    "one weight per lane (\(QueueLane.all.count)), none negative, one positive")
            }
            guard !queues.isEmpty, connections >= 1, (concurrency ?? 1) >= 1 else {
                throw .invalidConfiguration("a node needs a queue, a connection and room for a task")
            }
        }

        static var hostName: String {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

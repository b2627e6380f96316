package import Parallax

/// What a node's consumer knows and decides, without doing anything: which attempts it runs,
/// what must be written about the ones that ended, and whether it may claim more. The consumer
/// (``QueueConsumer``) keeps it under a lock, asks it, and does what it answers.
///
/// An attempt is `running` until its pool answers; it is `cancelling` once the database asked for
/// its cancellation, and `abandoned` once the node gave it up (its lease was lost, or the
/// database no longer assigns it to the node): an abandoned attempt's worker is killed at once.
/// If it finished first, its outcome is still written through its token, which the database
/// rejects when the task is already someone else's (a stale completion, counted and logged).
package struct ConsumerState: Sendable {
    /// Whether the consumer claims.
    package enum Phase: Sendable, Equatable {
        /// Claiming as room allows.
        case claiming
        /// Its lease was lost: nothing is claimed until the node has registered again.
        case fenced
        /// Stopping: nothing more is claimed; what runs finishes and is written.
        case draining
    }

    package enum Fate: Sendable, Equatable {
        case running
        case cancelling
        case abandoned
    }

    /// An attempt this node runs.
    package struct Attempt: Sendable {
        package var claimed: QueueStatements.Claimed
        /// The pool's id of the job that runs it.
        package var jobID: UInt64
        /// When the claim came back, on the node's clock.
        package var claimedAt: Duration
        package var fate: Fate = .running
    }

    /// What must be written about attempts that ended.
    package struct Writes: Sendable {
        package var completions: [QueueStatements.Completion] = []
        /// Attempts whose worker died: tried again after a backoff, or finished as exhausted.
        package var retries: [(task: Int64, attemptID: Int64, failure: [UInt8])] = []
        /// Attempts that never ran: back to the queue without using up an attempt.
        package var releases: [(task: Int64, attemptID: Int64)] = []

        package var isEmpty: Bool { completions.isEmpty && retries.isEmpty && releases.isEmpty }

        package mutating func append(_ other: Writes) {
            completions += other.completions
            retries += other.retries
            releases += other.releases
        }
    }

    /// Abandoned attempts that ended without a write (their kill): the reaper's, once the lease
    /// they were claimed under has expired, since their workers may not have been gone yet.
    /// Never given back as unknown claims; forgotten once the database no longer assigns them.
    package private(set) var leftToReaper: Set<Int64> = []
    package private(set) var phase: Phase = .claiming
    package private(set) var attempts: [Int64: Attempt] = [:]
    package private(set) var writes = Writes()
    /// How many attempts may run (or wait in the pool's queue) at once.
    package let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    /// How many tasks to claim now.
    package var room: Int {
        phase == .claiming ? max(0, limit - attempts.count) : 0
    }

    /// How many attempt ends wait to be written.
    package var pendingWrites: Int { writes.completions.count + writes.retries.count + writes.releases.count }

    /// Whether nothing runs and nothing waits to be written.
    package var isIdle: Bool { attempts.isEmpty && writes.isEmpty }

    /// Admits a claimed attempt, to be handed to the pool as job `jobID`, unless the consumer
    /// stopped claiming since the claim was sent: a draining consumer gives the task back; a
    /// fenced one must not start it (its lease is gone) and leaves it to the reaper.
    /// - Returns: Whether to start it.
    package mutating func admit(_ claimed: QueueStatements.Claimed, jobID: UInt64, at now: Duration) -> Bool {
        switch phase {
        case .claiming:
            attempts[claimed.attemptID] = Attempt(claimed: claimed, jobID: jobID, claimedAt: now)
            return true
        case .draining:
            writes.releases.append((claimed.task, claimed.attemptID))
            return false
        case .fenced:
            return false
        }
    }

    /// Notes the end of an attempt and decides what to write about it.
    /// - Returns: Whether anything is to be written.
    package mutating func ended(attemptID: Int64, _ result: Result<[UInt8], TaskError>) -> Bool {
        guard let attempt = attempts.removeValue(forKey: attemptID) else { return false }
        // An abandoned attempt that finished on its own (a value, or an error it threw) is
        // written through its token, and the database decides: taken back and run again
        // elsewhere, it is rejected as stale and logged; still current, it lands. Any other end
        // is its kill, answered before the worker is surely gone: that one is left to the
        // reaper, which waits for the lease to expire.
        if attempt.fate == .abandoned {
            switch result {
            case .success(let output):
                writes.completions.append(
                    .init(task: attempt.claimed.task, attemptID: attemptID, outcome: .value, payload: output))
                return true
            case .failure(let error) where error.kind == .threw:
                let encoded = (try? WireCodec.encode(error)) ?? []
                writes.completions.append(
                    .init(
                        task: attempt.claimed.task, attemptID: attemptID, outcome: .thrown, payload: encoded))
                return true
            case .failure:
                leftToReaper.insert(attemptID)
                return false
            }
        }
        let task = attempt.claimed.task
        switch result {
        case .success(let output):
            writes.completions.append(
                .init(task: task, attemptID: attemptID, outcome: .value, payload: output))
        case .failure(let error):
            let encoded = (try? WireCodec.encode(error)) ?? []
            switch Self.decision(for: error, cancelRequested: attempt.fate == .cancelling) {
            case .record(let outcome):
                writes.completions.append(
                    .init(task: task, attemptID: attemptID, outcome: outcome, payload: encoded))
            case .retry:
                writes.retries.append((task, attemptID, encoded))
            case .release:
                writes.releases.append((task, attemptID))
            }
        }
        return true
    }

    /// What becomes of an attempt that failed with `error`.
    package enum Decision: Sendable, Equatable {
        /// A terminal outcome for the task.
        case record(ResultOutcome)
        /// Its worker died: another attempt after a backoff, while attempts remain.
        case retry
        /// It never reached a worker: back to the queue as it was.
        case release
    }

    /// The queue's retry rules, matching a local pool's: a task that threw or overran keeps its
    /// failure; a worker that died is tried again; a task the pool refused never ran.
    package static func decision(for error: TaskError, cancelRequested: Bool) -> Decision {
        switch error.kind {
        case .threw: .record(.thrown)
        case .timedOut: .record(.timedOut)
        case .rejected: .release
        case .cancelled where cancelRequested: .record(.cancelled)
        default: .retry  // crashed, protocol violation, cancelled by the pool's own shutdown
        }
    }

    /// Takes what is to be written.
    package mutating func takeWrites() -> Writes {
        defer { writes = Writes() }
        return writes
    }

    /// Puts back writes that could not be made, ahead of newer ones.
    package mutating func putBack(_ failed: Writes) {
        var merged = failed
        merged.append(writes)
        writes = merged
    }

    /// The lease was lost: every attempt is abandoned and nothing more is claimed.
    /// - Returns: The jobs to kill.
    package mutating func fence() -> [UInt64] {
        if phase == .claiming { phase = .fenced }
        return abandon { _ in true }
    }

    /// The node registered again after a fence.
    package mutating func resume() {
        if phase == .fenced { phase = .claiming }
    }

    /// Stop claiming; what runs finishes.
    package mutating func drain() {
        phase = .draining
    }

    /// A lease renewal sent at `sentAt` listed the attempts the database assigns to the node:
    /// an attempt claimed before it was sent and not among them was taken back (reaped as
    /// overdue), and is abandoned.
    /// - Returns: The jobs to kill.
    package mutating func reconcile(held: Set<Int64>, sentAt: Duration) -> [UInt64] {
        leftToReaper.formIntersection(held)
        return abandon { $0.claimedAt < sentAt && !held.contains($0.claimed.attemptID) }
    }

    /// Of the attempts the database assigns to the node, those the consumer knows nothing of:
    /// neither running nor waiting to be written. Asked when nothing else of the consumer is
    /// under way, after a claim whose answer was lost, they are that claim's, never started.
    /// - Parameter complete: Whether `held` is all the database assigns to the node (not only the
    ///   older attempts): only then are the attempts left to the reaper that it no longer holds
    ///   forgotten.
    package mutating func unknown(among held: [(task: Int64, attemptID: Int64)], complete: Bool = true) -> [(
        task: Int64, attemptID: Int64
    )] {
        if complete { leftToReaper.formIntersection(held.map(\.attemptID)) }
        var known = Set(attempts.keys)
        known.formUnion(leftToReaper)
        known.formUnion(writes.completions.map(\.attemptID))
        known.formUnion(writes.retries.map(\.attemptID))
        known.formUnion(writes.releases.map(\.attemptID))
        return held.filter { !known.contains($0.attemptID) }
    }

    /// The database asked for the cancellation of these attempts.
    /// - Returns: The jobs to cancel, each once.
    package mutating func cancelRequested(_ attemptIDs: [Int64]) -> [UInt64] {
        var jobs: [UInt64] = []
        for id in attemptIDs {
            guard var attempt = attempts[id], attempt.fate == .running else { continue }
            attempt.fate = .cancelling
            attempts[id] = attempt
            jobs.append(attempt.jobID)
        }
        return jobs
    }

    private mutating func abandon(where condition: (Attempt) -> Bool) -> [UInt64] {
        var jobs: [UInt64] = []
        for (id, attempt) in attempts where attempt.fate != .abandoned && condition(attempt) {
            attempts[id]?.fate = .abandoned
            jobs.append(attempt.jobID)
        }
        return jobs.sorted()
    }
}

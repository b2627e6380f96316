import FoundationEssentials
import Parallax

/// The remote groups a node's producers are waiting on, each with its wake-up: a notification
/// that names a group wakes its waiter; one that names none (the list did not fit), or a
/// reconnection after which notifications may have been missed, wakes them all.
final class ResultWatchers: Sendable {
    private let watched = Locked<[UUID: WakeSignal]>([:])

    /// Watches `group` while `body` runs.
    func watching<Result>(_ group: UUID, _ body: (WakeSignal) async throws -> Result) async rethrows -> Result
    {
        let signal = WakeSignal()
        watched.withLock { $0[group] = signal }
        defer { watched.withLock { $0[group] = nil } }
        return try await body(signal)
    }

    /// Wakes the waiters of the groups a `parallax_results` notification names.
    func wake(hint: String) {
        guard !hint.isEmpty else { return wakeAll() }
        let signals = watched.withLock { watched in
            hint.split(separator: ",").compactMap { UUID(uuidString: String($0)).flatMap { watched[$0] } }
        }
        for signal in signals { signal.notify() }
    }

    func wakeAll() {
        for signal in watched.withLock({ Array($0.values) }) { signal.notify() }
    }
}

/// The first failure of a fail-fast `mapValues` to arrive, from whichever thread delivers it.
@usableFromInline
final class FirstFailure: Sendable {
    private let failure = Locked<TaskError?>(nil)

    @usableFromInline
    init() {}

    /// Keeps `error` unless a failure arrived before.
    @usableFromInline
    func keep(_ error: TaskError) {
        failure.withLock { $0 = $0 ?? error }
    }

    /// The failure kept, if any.
    @usableFromInline
    var error: TaskError? {
        failure.withLock { $0 }
    }
}

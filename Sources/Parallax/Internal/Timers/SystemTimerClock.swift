import Dispatch

/// The system's monotonic clock, with one dispatch timer for the alarm, made when the first alarm
/// is set: a worker whose tasks set no deadline never starts the dispatch machinery.
package final class SystemTimerClock: TimerClock, @unchecked Sendable {
    private struct State {
        var handler: (@Sendable () -> Void)?
        var timer: (any DispatchSourceTimer)?
    }

    private let origin = ContinuousClock.now
    private let state = Locked(State())

    package init() {}

    deinit {
        state.withLock { $0.timer?.cancel() }
    }

    package var now: Duration { ContinuousClock.now - origin }

    package func onAlarm(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.handler = handler }
    }

    package func setAlarm(_ deadline: Duration?) {
        state.withLock { state in
            guard let deadline else {
                state.timer?.schedule(deadline: .distantFuture)
                return
            }
            let timer = state.timer ?? makeTimer(&state)
            let wait = max(.zero, deadline - now)
            timer.schedule(deadline: .now() + wait.timeInterval, leeway: .milliseconds(1))
        }
    }

    private func makeTimer(_ state: inout State) -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        if let handler = state.handler { timer.setEventHandler(handler: handler) }
        timer.activate()
        state.timer = timer
        return timer
    }
}

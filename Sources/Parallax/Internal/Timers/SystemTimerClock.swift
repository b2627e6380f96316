import Dispatch

/// The system's monotonic clock, with one dispatch timer for the alarm.
package final class SystemTimerClock: TimerClock, @unchecked Sendable {
    private let origin = ContinuousClock.now
    // Safe to use from any thread: dispatch sources are thread-safe; `schedule` calls come from
    // the timer service under its lock, so they are ordered.
    private let timer: any DispatchSourceTimer

    package init() {
        timer = DispatchSource.makeTimerSource(queue: .global())
    }

    deinit {
        timer.cancel()
    }

    package var now: Duration { ContinuousClock.now - origin }

    package func onAlarm(_ handler: @escaping @Sendable () -> Void) {
        timer.setEventHandler(handler: handler)
        timer.activate()
    }

    package func setAlarm(_ deadline: Duration?) {
        guard let deadline else {
            timer.schedule(deadline: .distantFuture)
            return
        }
        let wait = max(.zero, deadline - now)
        timer.schedule(deadline: .now() + wait.timeInterval, leeway: .milliseconds(1))
    }
}

import ParallaxTestSupport
import Testing

@testable import Parallax

/// The timer queue and the timer service, on a manual clock: exact times, no waiting.
@Suite struct TimerTests {
    @Test func timersComeOutEarliestFirstAndInOrderOfSettingAtEqualTimes() {
        var queue = TimerQueue<String>()
        _ = queue.schedule(at: .seconds(3), "c")
        _ = queue.schedule(at: .seconds(1), "a")
        _ = queue.schedule(at: .seconds(2), "b1")
        _ = queue.schedule(at: .seconds(2), "b2")
        #expect(queue.nextDeadline == .seconds(1))
        #expect(queue.popDue(now: .milliseconds(999)).isEmpty)
        #expect(queue.popDue(now: .seconds(2)) == ["a", "b1", "b2"])
        #expect(queue.popDue(now: .seconds(10)) == ["c"])
        #expect(queue.count == 0)
    }

    @Test func aCancelledTimerLeavesNothingBehind() {
        var queue = TimerQueue<Int>()
        let ids = (0..<100).map { queue.schedule(at: .seconds($0 % 7), $0) }
        let cancelled = Set((0..<100).filter { $0 % 3 == 0 })
        for value in cancelled {
            let wasPending = queue.cancel(ids[value])
            #expect(wasPending)
        }
        let again = queue.cancel(ids[0])
        #expect(!again)  // cancelled already
        #expect(queue.count == 100 - cancelled.count)
        let due = queue.popDue(now: .seconds(100))
        #expect(Set(due) == Set(0..<100).subtracting(cancelled))
        // Earliest first: deadlines never go backwards, and equal ones keep their order.
        #expect(due == due.sorted { ($0 % 7, $0) < ($1 % 7, $1) })
        #expect(queue.count == 0)
    }

    @Test func theServiceFiresEachTimerAtItsTimeOnTheClock() {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let fired = Locked<[String]>([])
        timers.schedule(after: .seconds(2)) { fired.withLock { $0.append("two at \(clock.now)") } }
        timers.schedule(after: .seconds(1)) { fired.withLock { $0.append("one at \(clock.now)") } }
        let cancelled = timers.schedule(after: .milliseconds(1_500)) { fired.withLock { $0.append("never") } }
        #expect(clock.alarm == .seconds(1))
        #expect(timers.cancel(cancelled))
        clock.advance(by: .milliseconds(999))
        #expect(fired.withLock { $0 }.isEmpty)
        clock.advance(by: .seconds(5))
        #expect(fired.withLock { $0 } == ["one at 1.0 seconds", "two at 2.0 seconds"])
        #expect(clock.alarm == nil)
        #expect(!timers.cancel(cancelled))
    }

    @Test func aTimerSetByATimerFiresInTheSameAdvanceWhenItFallsDue() {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let fired = Locked<[Duration]>([])
        timers.schedule(after: .seconds(1)) {
            fired.withLock { $0.append(clock.now) }
            timers.schedule(after: .seconds(1)) { fired.withLock { $0.append(clock.now) } }
        }
        clock.advance(by: .seconds(3))
        #expect(fired.withLock { $0 } == [.seconds(1), .seconds(2)])
    }

    @Test func nothingFiresAfterTheServiceStopped() {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let fired = Locked(0)
        timers.schedule(after: .seconds(1)) { fired.withLock { $0 += 1 } }
        timers.stop()
        timers.schedule(after: .seconds(1)) { fired.withLock { $0 += 1 } }
        clock.advance(by: .seconds(10))
        #expect(fired.withLock { $0 } == 0)
        #expect(timers.pendingCount == 0)
    }
}

import Parallax
import ParallaxTestSupport
import Testing

@testable import ParallaxPostgres

/// The wake-up of the node's loops: no notification is lost between two waits.
@Suite(.timeLimit(.minutes(1)))
struct WakeSignalTests {
    @Test func aNotificationWhileNobodyWaitsEndsTheNextWaitAtOnce() async {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let signal = WakeSignal()
        signal.notify()
        await signal.wait(timeout: .seconds(3_600), timers: timers)  // returns without the clock moving
        #expect(clock.now == .zero)
    }

    @Test func aWaitEndsAtItsTimeLimitAndANotificationAfterItIsKeptForTheNext() async {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let signal = WakeSignal()
        async let waited: Void = signal.wait(timeout: .seconds(5), timers: timers)
        await clock.advanceWhenSet(by: .seconds(5))
        await waited
        signal.notify()
        await signal.wait(timeout: .seconds(3_600), timers: timers)
        #expect(clock.now == .seconds(5))
    }

    @Test func aNotificationWakesTheWaiter() async {
        let clock = ManualClock()
        let timers = TimerService(clock: clock)
        let signal = WakeSignal()
        async let waited: Void = signal.wait(timeout: .seconds(3_600), timers: timers)
        await clock.waitForAlarm(atOrBefore: .seconds(3_600))  // the waiter is waiting
        signal.notify()
        await waited
        #expect(clock.now == .zero)
    }
}

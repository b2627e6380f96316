/// The time the library's timers run on: the system's monotonic clock, or, in tests, a clock that
/// moves only when the test moves it.
///
/// A ``TimerService`` asks its clock for the time and sets one alarm, for its earliest timer;
/// the clock calls the service back when that time has come.
package protocol TimerClock: AnyObject, Sendable {
    /// The time now, from the clock's own origin.
    var now: Duration { get }
    /// Sets the alarm for `deadline` (on the scale of ``now``), replacing the one set before;
    /// `nil` clears it. When the time comes, the clock calls the handler given to
    /// ``onAlarm(_:)``, on a thread of its own or, for a manual clock, in the call that moves it.
    func setAlarm(_ deadline: Duration?)
    /// Gives the clock the handler its alarms call; called once, before any alarm is set.
    func onAlarm(_ handler: @escaping @Sendable () -> Void)
}

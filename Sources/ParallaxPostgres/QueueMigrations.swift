/// The versions of the queue's schema, oldest first; version N is `all[N - 1]`. A version, once
/// released, never changes: a change is a new version.
enum QueueMigrations {
    /// The key of the transaction-scoped advisory lock that serializes migrations.
    static let lockKey: Int64 = 0x5058_4D49_4752  // "PXMIGR"

    static let all: [[String]] = [version1]

    /// The database's clock, and a way to move it in tests.
    ///
    /// Every lease, deadline and backoff is decided on `parallax.now()`: the database's
    /// `clock_timestamp()` plus the offset in `parallax.clock`, which is empty (no offset) unless a
    /// test moves the clock. Hosts only ever measure durations on their own clocks.
    static let version1: [String] = [
        """
        CREATE TABLE parallax.clock (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            offset_by interval NOT NULL)
        """,
        """
        CREATE FUNCTION parallax.now() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
            SELECT clock_timestamp() + coalesce((SELECT offset_by FROM parallax.clock), interval '0')
        $$
        """,
    ]
}

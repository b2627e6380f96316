/// The versions of the queue's schema, oldest first; version N is `all[N - 1]`. A version, once
/// released, never changes: a change is a new version.
enum QueueMigrations {
    /// The key of the transaction-scoped advisory lock that serializes migrations.
    static let lockKey: Int64 = 0x5058_4D49_4752  // "PXMIGR"

    static let all: [[String]] = [version1, version2, version3, version4, version5]

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

    /// Nodes with leases, groups, the hot task table, results and the attempt log.
    ///
    /// A node is one process; its id is new at every start and never reused. A task row lives only
    /// while the task is ready or running: the statement that records its result deletes it, fenced
    /// by the attempt token (`attempt_id`) that only the current attempt holds. Every lease and
    /// deadline is decided on `parallax.now()`.
    static let version2: [String] = [
        """
        CREATE TABLE parallax.node (
            id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            host             text        NOT NULL,
            pid              integer     NOT NULL,
            started_at       timestamptz NOT NULL DEFAULT parallax.now(),
            lease_ttl        interval    NOT NULL,
            lease_expires_at timestamptz NOT NULL,
            state            smallint    NOT NULL DEFAULT 0,
            queues           text[]      NOT NULL DEFAULT '{}',
            capacity         integer     NOT NULL DEFAULT 0)
        WITH (fillfactor = 50)
        """,
        """
        CREATE TABLE parallax.task_group (
            id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
            idem_key            text        UNIQUE,
            queue               text        NOT NULL,
            owner_node          bigint      NOT NULL,
            expected            integer,
            created_at          timestamptz NOT NULL DEFAULT parallax.now(),
            cancel_requested_at timestamptz,
            closed_at           timestamptz)
        """,
        """
        CREATE TABLE parallax.task (
            id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            group_id            uuid        NOT NULL,
            slot                integer     NOT NULL,
            queue               text        NOT NULL,
            kind                text        NOT NULL,
            payload             bytea       NOT NULL,
            lane                smallint    NOT NULL DEFAULT 1,
            state               smallint    NOT NULL DEFAULT 0,
            run_at              timestamptz NOT NULL DEFAULT parallax.now(),
            attempt             smallint    NOT NULL DEFAULT 0,
            max_attempts        smallint    NOT NULL DEFAULT 3,
            lost_count          smallint    NOT NULL DEFAULT 0,
            max_lost            smallint    NOT NULL DEFAULT 3,
            timeout             interval    NOT NULL,
            attempt_id          bigint,
            node_id             bigint,
            claimed_at          timestamptz,
            deadline_at         timestamptz,
            cancel_requested_at timestamptz,
            created_at          timestamptz NOT NULL DEFAULT parallax.now(),
            UNIQUE (group_id, slot))
        WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
              autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000)
        """,
        "CREATE INDEX task_ready ON parallax.task (queue, lane, run_at, id) WHERE state = 0",
        "CREATE INDEX task_holder ON parallax.task (node_id) WHERE state = 1",
        "CREATE INDEX task_overdue ON parallax.task (deadline_at) WHERE state = 1",
        "CREATE SEQUENCE parallax.attempt_seq CACHE 100",
        """
        CREATE TABLE parallax.result (
            task_id     bigint      NOT NULL,
            group_id    uuid        NOT NULL,
            slot        integer     NOT NULL,
            outcome     smallint    NOT NULL,
            payload     bytea,
            attempts    smallint    NOT NULL,
            attempt_id  bigint,
            node_id     bigint,
            enqueued_at timestamptz NOT NULL,
            started_at  timestamptz,
            finished_at timestamptz NOT NULL DEFAULT parallax.now(),
            PRIMARY KEY (task_id))
        PARTITION BY RANGE (task_id)
        """,
        "CREATE TABLE parallax.result_default PARTITION OF parallax.result DEFAULT",
        "CREATE INDEX result_group ON parallax.result (group_id, slot)",
        """
        CREATE TABLE parallax.attempt (
            task_id    bigint      NOT NULL,
            attempt_id bigint      NOT NULL,
            node_id    bigint      NOT NULL,
            started_at timestamptz,
            ended_at   timestamptz NOT NULL DEFAULT parallax.now(),
            ended_by   smallint    NOT NULL)
        PARTITION BY RANGE (task_id)
        """,
        "CREATE TABLE parallax.attempt_default PARTITION OF parallax.attempt DEFAULT",
    ]

    /// Retry backoffs per task, the task's kind on its result, a group's count of tasks added
    /// (slots below it are never added again), and notifications.
    ///
    /// A failed attempt worth another try waits `least(backoff_max, backoff_initial × 2^(attempt−1))`,
    /// give or take a fifth, on the database's clock. Whatever adds tasks notifies
    /// `parallax_ready` with their queues, and whatever records results notifies
    /// `parallax_results` with their groups (empty when the list would not fit a notification):
    /// one notification per statement, never per row. A notification is only a hint; nodes and
    /// producers poll as well.
    static let version3: [String] = [
        """
        ALTER TABLE parallax.task
            ADD COLUMN backoff_initial interval NOT NULL DEFAULT interval '1 second',
            ADD COLUMN backoff_max     interval NOT NULL DEFAULT interval '5 minutes'
        """,
        "ALTER TABLE parallax.result ADD COLUMN kind text",
        "ALTER TABLE parallax.task_group ADD COLUMN added integer NOT NULL DEFAULT 0",
        // One notification per statement: the distinct values of column TG_ARGV[1] of the rows
        // the statement wrote, on channel TG_ARGV[0]; empty when they would not fit.
        """
        CREATE FUNCTION parallax.notify_written() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            list text;
        BEGIN
            EXECUTE format('SELECT string_agg(DISTINCT %I::text, '','') FROM written', TG_ARGV[1]) INTO list;
            IF list IS NOT NULL THEN
                PERFORM pg_notify(TG_ARGV[0], CASE WHEN length(list) > 7900 THEN '' ELSE list END);
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER result_landed AFTER INSERT ON parallax.result
            REFERENCING NEW TABLE AS written FOR EACH STATEMENT
            EXECUTE FUNCTION parallax.notify_written('parallax_results', 'group_id')
        """,
        """
        CREATE TRIGGER task_added AFTER INSERT ON parallax.task
            REFERENCING NEW TABLE AS written FOR EACH STATEMENT
            EXECUTE FUNCTION parallax.notify_written('parallax_ready', 'queue')
        """,
    ]

    /// What becomes of a group when the node that owns it is lost (`on_owner_loss`: 0 cancel,
    /// 1 keep running), and when that was seen (`owner_lost_at`).
    ///
    /// A group's owner is the node of the producer that created it, or that last took it over
    /// (by creating it again with its key, by attaching to it, or by registering again after its
    /// lease lapsed). Groups from before this version keep running, as they did.
    static let version4: [String] = [
        """
        ALTER TABLE parallax.task_group
            ADD COLUMN on_owner_loss smallint    NOT NULL DEFAULT 1,
            ADD COLUMN owner_lost_at timestamptz
        """,
        """
        CREATE INDEX task_group_owned ON parallax.task_group (owner_node)
         WHERE on_owner_loss = 0 AND owner_lost_at IS NULL
        """,
    ]

    /// A clock a test can stop: when `parallax.clock.frozen_at` is set, `parallax.now()` is that
    /// instant plus the offset, and only a test's moves advance it. A test that asserts what has
    /// not happened yet ("not before its backoff") then holds however slowly it runs.
    static let version5: [String] = [
        "ALTER TABLE parallax.clock ADD COLUMN frozen_at timestamptz",
        """
        CREATE OR REPLACE FUNCTION parallax.now() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
            SELECT coalesce(
                (SELECT coalesce(frozen_at, clock_timestamp()) + offset_by FROM parallax.clock),
                clock_timestamp())
        $$
        """,
    ]
}

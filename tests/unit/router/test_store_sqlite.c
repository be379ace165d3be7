/*  =========================================================================
    test_store_sqlite.c - the SQLite history store's own bad cases

    What the contract suite (test_store.c) cannot ask of every backend:
    the file stays pruned to history-size; a file that is not a zchat
    database, a path that cannot be opened and a file another router
    holds are refused with one clear line; a router killed mid-write
    leaves a file that opens with every acknowledged record; a full disk
    costs no live appends and is logged once per interval, and writes
    resume when space returns. A full disk is a real one: a small tmpfs
    this test mounts (it needs root, as CI has; without it the test fails
    and says why).

    Crashes run in a child: this program executed again with --child-...
    (a fresh process, not a fork of one that has ZeroMQ threads), which
    reports every sync on stdout. `test_store_sqlite --bench N` prints
    the writer's throughput instead of testing.
    =========================================================================
*/
#include "store_fixture.h"
#include <sqlite3.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>

#define TEST_RING               5       //  history-size of the pruning test
#define TEST_WAIT_MS            30000   //  deadline for a child's report (generous)
#define TEST_CHILD_RECORDS      100     //  records the clean-exit child syncs
#define TEST_CHILD_UNSYNCED     5       //  and appends after its last sync
#define TEST_FLOOD_MAX          100000  //  records the killed child appends at most
#define TEST_FLOOD_SYNC         20      //  it syncs after every this many
#define TEST_KILL_AFTER         200     //  kill it once this many are acknowledged
#define TEST_DISK_OPTIONS       "size=8m"   //  the full-disk tmpfs
#define TEST_FILL_BLOCK         65536   //  bytes per write when filling it
#define TEST_FULL_LINES         300     //  records appended while it is full
#define TEST_FULL_PAD           4000    //  bytes of filler in each (1.2 MB in all)
#define TEST_SMALL_BACKLOG      (64 * 1024)  //  backlog_max of the backlog test
#define TEST_ROOMS_BENCH        10      //  rooms the benchmark writes to
#define TEST_BENCH_PASS         100     //  appends per simulated loop pass
#define TEST_BENCH_TEXT         60      //  bytes of padding per benchmark line
#define TEST_EXIT_REFUSED       0       //  --child-open: store_new failed
#define TEST_EXIT_OPENED        3       //  --child-open: it opened (wrong)
#define TEST_MS_PER_S           1000.0

static int
s_setup (void **state)
{
    int rc = s_setup_backend (state, "sqlite");
    fixture_t *self = (fixture_t *) *state;
    //  Crash tests count every record: no ring wrap
    self->config.history_size = STORE_HISTORY_SIZE_MAX;
    return rc;
}

//  Rows of room in the (closed) file, and the lowest seq among them.
static size_t
s_rows (const char *path, const char *room, uint64_t *lowest_p)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *statement = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT count(*), min(seq) FROM history"
                                              " WHERE room = ?1", -1, &statement, NULL),
                      SQLITE_OK);
    sqlite3_bind_text (statement, 1, room, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (statement), SQLITE_ROW);
    size_t rows = (size_t) sqlite3_column_int64 (statement, 0);
    if (lowest_p)
        *lowest_p = (uint64_t) sqlite3_column_int64 (statement, 1);
    sqlite3_finalize (statement);
    sqlite3_close (db);
    return rows;
}

//  Run SQL on a file directly (to forge files the store must refuse).
static void
s_sql (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
}

//  Counts a contiguous run 1, 2, 3, ... and fails on a gap or duplicate.
static int
s_count_run (const store_record_t *record, void *arg)
{
    uint64_t *next = (uint64_t *) arg;
    assert_int_equal (record->seq, *next);
    (*next)++;
    return 0;
}

//  --- pruning and refusals --------------------------------------------------

//  The file keeps history-size records per room, and follows a smaller
//  history-size at the next open.
static void
test_prunes (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->config.history_size = TEST_RING;
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 1, TEST_RING * 4);
    s_append_run (store, "go", 1, 3);
    store_destroy (&self->store);
    uint64_t lowest = 0;
    assert_int_equal (s_rows (self->path, "rust", &lowest), TEST_RING);
    assert_int_equal (lowest, TEST_RING * 3 + 1);
    assert_int_equal (s_rows (self->path, "go", NULL), 3);

    self->config.history_size = 2;
    store = s_open (self);
    assert_non_null (store);
    assert_int_equal (s_info (store, "rust").records, 2);
    store_destroy (&self->store);
    assert_int_equal (s_rows (self->path, "rust", &lowest), 2);
    assert_int_equal (lowest, TEST_RING * 4 - 1);
    assert_int_equal (s_rows (self->path, "go", NULL), 2);
}

//  store_new must fail with exactly one error line containing needle.
static void
s_assert_refused (fixture_t *self, const char *spec, const char *needle)
{
    s_log_capture (self);
    store_t *store = store_new (spec, &self->config);
    char *log = s_log_release (self);
    assert_null (store);
    assert_int_equal (s_count_lines (log, "E: "), 1);
    assert_int_equal (s_count_lines (log, needle), 1);
    free (log);
}

static void
test_not_zchat (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  Someone else's SQLite database: refused and left as it was
    s_sql (self->path, "CREATE TABLE other (x); INSERT INTO other VALUES (42)");
    s_assert_refused (self, self->spec, "not a zchat database");
    s_sql (self->path, "SELECT x FROM other");
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (self->path, &db), SQLITE_OK);
    assert_int_not_equal (sqlite3_exec (db, "SELECT * FROM history", NULL, NULL, NULL),
                          SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (unlink (self->path), 0);

    //  Not SQLite at all
    FILE *file = fopen (self->path, "w");
    assert_non_null (file);
    for (int line = 0; line < TEST_RING * TEST_RING * TEST_RING; line++)
        fprintf (file, "this is a chat log, not a database %d\n", line);
    fclose (file);
    s_assert_refused (self, self->spec, "not a zchat database");
    assert_int_equal (unlink (self->path), 0);

    //  Ours, but a schema this router does not read
    store_t *store = s_open (self);
    assert_non_null (store);
    store_destroy (&self->store);
    s_sql (self->path, "PRAGMA user_version = 99");
    s_assert_refused (self, self->spec, "schema 99");
}

static void
test_unopenable (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_assert_refused (self, "sqlite:/nonexistent-zchat-dir/history.db", "cannot open database");
    char spec [TEST_SPEC_MAX];
    snprintf (spec, sizeof (spec), "sqlite:%s", self->dir);
    s_assert_refused (self, spec, "cannot open database");
}

//  Start this program again as a child in mode; its stdout comes back
//  on *out_p. Returns its pid.
static pid_t
s_spawn (const char *mode, const char *path, int *out_p)
{
    int pipe_fds [2];
    assert_int_equal (pipe (pipe_fds), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        dup2 (pipe_fds [1], STDOUT_FILENO);
        close (pipe_fds [0]);
        close (pipe_fds [1]);
        execl ("/proc/self/exe", "test_store_sqlite", mode, path, (char *) NULL);
        _exit (127);
    }
    close (pipe_fds [1]);
    *out_p = pipe_fds [0];
    return pid;
}

static int
s_wait_exit (pid_t pid)
{
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    return status;
}

//  Read the next number the child reports; 0 at its end (EOF). Fails
//  after TEST_WAIT_MS of silence.
static uint64_t
s_read_report (FILE *reports)
{
    struct pollfd item = { .fd = fileno (reports), .events = POLLIN };
    if (poll (&item, 1, TEST_WAIT_MS) != 1)
        fail_msg ("no report from the child in %d ms", TEST_WAIT_MS);
    char line [TEST_PATH_MAX];
    if (!fgets (line, sizeof (line), reports))
        return 0;
    return strtoull (line, NULL, 10);
}

static void
test_second_opener (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 1, TEST_RING);
    assert_int_equal (store_sync (store), 0);
    //  In this process and in another one
    s_assert_refused (self, self->spec, "in use by another process");
    int out = -1;
    pid_t pid = s_spawn ("--child-open", self->path, &out);
    close (out);
    int status = s_wait_exit (pid);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != TEST_EXIT_REFUSED)
        fail_msg ("second router's status %d, expected exit %d", status, TEST_EXIT_REFUSED);
    //  The holder is unharmed
    s_append_run (store, "rust", TEST_RING + 1, TEST_RING * 2);
    assert_int_equal (store_sync (store), 0);
    store = s_open (self);
    assert_non_null (store);
    seen_t seen;
    assert_int_equal (s_last (store, "rust", 0, TEST_RING * 3, &seen), TEST_RING * 2);
    s_assert_run (&seen, 1, TEST_RING * 2);
}

//  --- crashes ---------------------------------------------------------------

//  A router that exits without closing: every synced record is there.
static void
test_exit_without_close (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    int out = -1;
    pid_t pid = s_spawn ("--child-append", self->path, &out);
    FILE *reports = fdopen (out, "r");
    assert_non_null (reports);
    assert_int_equal (s_read_report (reports), TEST_CHILD_RECORDS);
    fclose (reports);
    int status = s_wait_exit (pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

    store_t *store = s_open (self);
    assert_non_null (store);
    store_room_info_t info = s_info (store, "crash");
    assert_true (info.last_seq >= TEST_CHILD_RECORDS);
    assert_true (info.last_seq <= TEST_CHILD_RECORDS + TEST_CHILD_UNSYNCED);
    uint64_t next = 1;
    assert_int_equal (store_last (store, "crash", 0, SIZE_MAX, s_count_run, &next),
                      info.last_seq);
}

//  A router killed (SIGKILL) while it writes: the file opens cleanly
//  (WAL recovery) with every acknowledged record, no gap, no duplicate.
static void
test_killed_mid_write (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    int out = -1;
    pid_t pid = s_spawn ("--child-flood", self->path, &out);
    FILE *reports = fdopen (out, "r");
    assert_non_null (reports);
    uint64_t acknowledged = 0, report;
    while (acknowledged < TEST_KILL_AFTER && (report = s_read_report (reports)) > 0)
        acknowledged = report;
    assert_true (acknowledged >= TEST_KILL_AFTER);
    assert_int_equal (kill (pid, SIGKILL), 0);
    int status = s_wait_exit (pid);
    //  Reports written before it died count too
    while ((report = s_read_report (reports)) > 0)
        acknowledged = report;
    fclose (reports);
    assert_true (WIFSIGNALED (status) || WIFEXITED (status));

    store_t *store = s_open (self);
    assert_non_null (store);
    store_room_info_t info = s_info (store, "crash");
    assert_true (info.last_seq >= acknowledged);
    uint64_t next = 1;
    assert_int_equal (store_last (store, "crash", 0, SIZE_MAX, s_count_run, &next),
                      info.last_seq);
    //  And it goes on from there
    assert_int_equal (s_append (store, "crash", info.last_seq + 1), 0);
    assert_int_equal (store_sync (store), 0);
}

//  --- a full disk -----------------------------------------------------------

//  Mount a small tmpfs at dir/disk and put the database there.
static void
s_mount_disk (fixture_t *self)
{
    snprintf (self->mount, sizeof (self->mount), "%s/disk", self->dir);
    assert_int_equal (mkdir (self->mount, 0700), 0);
    if (mount ("tmpfs", self->mount, "tmpfs", 0, TEST_DISK_OPTIONS) != 0) {
        int error = errno;
        *self->mount = 0;
        fail_msg ("cannot mount a tmpfs (%s): this test needs root, as CI has", strerror (error));
    }
    snprintf (self->path, sizeof (self->path), "%s/history.db", self->mount);
    snprintf (self->spec, sizeof (self->spec), "sqlite:%s", self->path);
}

//  Fill the disk; returns the filler's fd (close it and unlink to free).
static int
s_fill_disk (fixture_t *self, char *filler, size_t size)
{
    snprintf (filler, size, "%s/filler", self->mount);
    int fd = open (filler, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true (fd >= 0);
    static char block [TEST_FILL_BLOCK];
    memset (block, TEST_PAD, sizeof (block));
    while (write (fd, block, sizeof (block)) > 0)
        ;
    assert_int_equal (errno, ENOSPC);
    //  The last partial block too
    while (write (fd, block, 1) > 0)
        ;
    return fd;
}

static void
test_full_disk (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_mount_disk (self);
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 1, TEST_RING);
    assert_int_equal (store_sync (store), 0);
    store_stats_t stats;
    store_stats (store, &stats);
    uint64_t commits = stats.commits.count;
    assert_true (commits >= 1);

    char filler [TEST_PATH_MAX];
    int fd = s_fill_disk (self, filler, sizeof (filler));
    s_log_capture (self);
    int64_t started = zclock_mono ();
    //  Live appends go on, and read back from memory
    for (uint64_t seq = 1; seq <= TEST_FULL_LINES; seq++) {
        assert_int_equal (s_append_padded (store, "full", seq, TEST_FULL_PAD), 0);
        store_tick (store, zclock_mono ());
    }
    assert_int_equal (store_sync (store), -1);
    assert_int_equal (store_sync (store), -1);
    store_stats (store, &stats);
    assert_true (stats.write_errors >= 2);
    //  A failed attempt is an error, not a commit
    assert_int_equal (stats.commits.count, commits);
    assert_int_equal (stats.pending, TEST_FULL_LINES);
    assert_int_equal (stats.dropped, 0);
    assert_non_null (strstr (stats.last_error, "full"));
    uint64_t next = 1;
    assert_int_equal (store_last (store, "full", 0, SIZE_MAX, s_count_run, &next),
                      TEST_FULL_LINES);

    //  Space returns: the kept records are written, nothing lost
    close (fd);
    assert_int_equal (unlink (filler), 0);
    assert_int_equal (store_sync (store), 0);
    int64_t elapsed = zclock_mono () - started;
    store_stats (store, &stats);
    assert_int_equal (stats.pending, 0);
    assert_int_equal (stats.written, TEST_RING + TEST_FULL_LINES);
    assert_true (stats.commits.count > commits);
    char *log = s_log_release (self);
    //  Once per interval, however many attempts failed
    size_t failures = s_count_lines (log, "store: write failed");
    assert_true (failures >= 1);
    assert_true (failures <= 1 + (size_t) (elapsed / STORE_ERROR_LOG_MS));
    assert_true (stats.write_errors > failures);
    assert_int_equal (s_count_lines (log, "store: writes resumed"), 1);
    free (log);

    store = s_open (self);
    assert_non_null (store);
    next = 1;
    assert_int_equal (store_last (store, "full", 0, SIZE_MAX, s_count_run, &next),
                      TEST_FULL_LINES);
    assert_int_equal (s_info (store, "rust").records, TEST_RING);
}

//  Past the backlog bound, records stay in memory only: counted as
//  dropped and logged once; what was kept is written when space returns.
static void
test_backlog_full (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_mount_disk (self);
    self->config.backlog_max = TEST_SMALL_BACKLOG;
    store_t *store = s_open (self);
    assert_non_null (store);
    assert_int_equal (store_sync (store), 0);
    char filler [TEST_PATH_MAX];
    int fd = s_fill_disk (self, filler, sizeof (filler));
    s_log_capture (self);
    for (uint64_t seq = 1; seq <= TEST_FULL_LINES; seq++)
        assert_int_equal (s_append_padded (store, "full", seq, TEST_FULL_PAD), 0);
    assert_int_equal (store_sync (store), -1);
    store_stats_t stats;
    store_stats (store, &stats);
    assert_true (stats.dropped > 0);
    assert_int_equal (stats.pending + stats.dropped, TEST_FULL_LINES);
    assert_int_equal (stats.records, TEST_FULL_LINES);
    uint64_t kept = stats.pending;
    close (fd);
    assert_int_equal (unlink (filler), 0);
    assert_int_equal (store_sync (store), 0);
    char *log = s_log_release (self);
    assert_int_equal (s_count_lines (log, "store: write backlog full"), 1);
    free (log);
    store = s_open (self);
    assert_non_null (store);
    uint64_t next = 1;
    assert_int_equal (store_last (store, "full", 0, SIZE_MAX, s_count_run, &next), kept);
}

//  --- children and the benchmark -------------------------------------------

static store_t *
s_child_store (const char *path, int64_t backlog_max)
{
    store_config_t config;
    store_config_defaults (&config);
    config.history_size = STORE_HISTORY_SIZE_MAX;
    config.backlog_max = backlog_max;
    char spec [TEST_SPEC_MAX];
    snprintf (spec, sizeof (spec), "sqlite:%s", path);
    return store_new (spec, &config);
}

//  Append and report; leave without closing anything.
static int
s_child (const char *mode, const char *path)
{
    store_t *store = s_child_store (path, STORE_BACKLOG_MAX);
    if (streq (mode, "--child-open"))
        _exit (store? TEST_EXIT_OPENED: TEST_EXIT_REFUSED);
    if (!store)
        _exit (1);
    uint64_t records = streq (mode, "--child-append")? TEST_CHILD_RECORDS: TEST_FLOOD_MAX;
    uint64_t sync_every = streq (mode, "--child-append")? TEST_CHILD_RECORDS: TEST_FLOOD_SYNC;
    for (uint64_t seq = 1; seq <= records; seq++) {
        if (s_append (store, "crash", seq) == -1)
            _exit (1);
        if (seq % sync_every == 0) {
            if (store_sync (store) == -1)
                _exit (1);
            printf ("%" PRIu64 "\n", seq);
            fflush (stdout);
        }
    }
    for (uint64_t seq = records + 1; seq <= records + TEST_CHILD_UNSYNCED; seq++)
        s_append (store, "crash", seq);
    _exit (0);
}

//  Append count records over a few rooms as the router would (a tick per
//  loop pass), then sync; print the rate and the loop's time per append.
static int
s_bench_store (store_t *store, uint64_t count)
{
    char rooms [TEST_ROOMS_BENCH][CHAT_ROOM_MAX];
    for (int room = 0; room < TEST_ROOMS_BENCH; room++)
        snprintf (rooms [room], sizeof (rooms [room]), "room%d", room);
    int64_t started = zclock_mono ();
    int64_t busy = 0;
    for (uint64_t seq = 1; seq <= count; seq++) {
        int64_t before = zclock_usecs ();
        s_append_padded (store, rooms [seq % TEST_ROOMS_BENCH], seq, TEST_BENCH_TEXT);
        if (seq % TEST_BENCH_PASS == 0)
            store_tick (store, zclock_mono ());
        busy += zclock_usecs () - before;
    }
    int64_t appended = zclock_mono ();
    int rc = store_sync (store);
    int64_t synced = zclock_mono ();
    store_stats_t stats;
    store_stats (store, &stats);
    printf ("%s store: %" PRIu64 " appends in %" PRId64 " ms, durable after %" PRId64
            " ms: %.0f records/s; loop thread %.2f us per append; written=%" PRIu64
            " errors=%" PRIu64 " rc=%d\n", store_name (store), count, appended - started,
            synced - started,
            count * TEST_MS_PER_S / (double) (synced - started > 0? synced - started: 1),
            (double) busy / (double) count, stats.written, stats.write_errors, rc);
    return rc;
}

//  The memory store, then the SQLite one. SQLite's backlog is unbounded
//  here so every record is written: its figure is the writer's capacity.
static int
s_bench (uint64_t count)
{
    store_config_t config;
    store_config_defaults (&config);
    config.history_size = STORE_HISTORY_SIZE_MAX;
    store_t *store = store_new ("memory", &config);
    if (!store)
        return 1;
    int rc = s_bench_store (store, count);
    store_destroy (&store);
    char dir [TEST_DIR_MAX] = "/tmp/zchat-bench-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    char path [TEST_PATH_MAX];
    snprintf (path, sizeof (path), "%s/history.db", dir);
    store = s_child_store (path, INT64_MAX);
    if (store)
        rc |= s_bench_store (store, count);
    store_destroy (&store);
    s_remove_dir (dir);
    return rc == 0 && store? 0: 1;
}

int
main (int argc, char **argv)
{
    zsys_init ();
    zsys_set_logstream (stderr);    //  stdout carries a child's reports
    if (argc == 3 && strncmp (argv [1], "--child-", strlen ("--child-")) == 0)
        return s_child (argv [1], argv [2]);
    if (argc == 3 && streq (argv [1], "--bench"))
        return s_bench (strtoull (argv [2], NULL, 10));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_prunes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_not_zchat, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unopenable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_second_opener, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_exit_without_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_killed_mid_write, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_disk, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_backlog_full, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name ("store sqlite", tests, NULL, NULL);
}

/*  =========================================================================
    20_history_store.c - the router's history store: start-up and restart

    A router that cannot keep its history does not start: an unknown
    --store, a path it cannot open, a file that is not a zchat database
    and a database another router holds each give one error line and
    exit 1. With --store sqlite:PATH a room's sequence numbers continue
    after a restart (SIGKILL, once the lines are committed) from where
    its history ends, so a seq names the same line before and after, and
    a client who joins after the restart is shown the lines from before.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>

//  Bursts measure the store, not flood control: the gateway takes them as fast as sent
static const char *s_burst_flags [] = { "--rate-lines", "0", NULL };
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#define STORE_TEST_PATH_MAX     512
#define STORE_TEST_SPEC_EXTRA   8       //  "sqlite:" before a path
#define STORE_TEST_EXIT_FAILED  1       //  zchat-router: could not start
#define STORE_TEST_LINES        3       //  chat lines said before the restart
#define STORE_TEST_RESYNC_MS    15000   //  gateway finds the new router
#define STORE_TEST_END          "* end of history (/history more for older lines)"
#define STORE_TEST_PAGE_END     "* end of history page (/history more for older lines)"
#define STORE_TEST_COMMITTED    1000    //  lines known to be on disk before the kill
#define STORE_TEST_BURST        4000    //  lines said in all

//  Count the lines of log that start with prefix.
static int
s_count_lines (const char *log, const char *prefix)
{
    int count = 0;
    size_t size = strlen (prefix);
    for (const char *line = log; line && *line; ) {
        if (strncmp (line, prefix, size) == 0)
            count++;
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return count;
}

//  Start a router with --store spec that must refuse; its log must hold
//  exactly one error line, containing reason.
static void
s_expect_refused (harness_t *harness, const char *spec, const char *reason)
{
    const char *extra [] = { "--store", spec, NULL };
    char *log = NULL;
    int code = harness_router_refused (harness, extra, &log);
    if (code != STORE_TEST_EXIT_FAILED || s_count_lines (log, "E:") != 1 || !strstr (log, reason))
        fprintf (stderr, "store %s: exit %d, log:\n%s\n", spec, code, log);
    assert_int_equal (code, STORE_TEST_EXIT_FAILED);
    assert_int_equal (s_count_lines (log, "E:"), 1);
    assert_non_null (strstr (log, reason));
    assert_null (strstr (log, "router: ready"));
    free (log);
}

static void
s_path (harness_t *harness, const char *name, char *path)
{
    snprintf (path, STORE_TEST_PATH_MAX, "%s/%s", harness_dir (harness), name);
}

//  A database named name in the scratch directory: its path and --store spec.
static void
s_db (harness_t *harness, const char *name, char *path, char *spec)
{
    s_path (harness, name, path);
    snprintf (spec, STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA, "sqlite:%s", path);
}

//  Remove an SQLite database and its side files.
static void
s_remove_db (const char *path)
{
    char side [STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-journal", path);
    unlink (side);
}

static void
test_bad_store_specs (void **state)
{
    harness_t *harness = *state;
    s_expect_refused (harness, "floppy", "bad spec");
    s_expect_refused (harness, "sqlite:/nonexistent/zchat/history.db", "cannot open database");

    char path [STORE_TEST_PATH_MAX];
    s_path (harness, "notes.txt", path);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "these are not the rows you are looking for\n");
    fclose (file);
    char spec [STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA];
    snprintf (spec, sizeof spec, "sqlite:%s", path);
    s_expect_refused (harness, spec, "not a zchat database");
    unlink (path);
}

static void
test_second_router_refused (void **state)
{
    harness_t *harness = *state;
    char path [STORE_TEST_PATH_MAX], spec [STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA];
    s_db (harness, "shared.db", path, spec);
    const char *extra [] = { "--store", spec, NULL };
    harness_proc_t *first = harness_router_start (harness, extra);
    assert_non_null (first);
    s_expect_refused (harness, spec, "in use by another process");
    //  The first router is unharmed and stops cleanly
    harness_proc_signal (first, SIGTERM);
    assert_int_equal (harness_proc_wait (first, HARNESS_STOP_MS), 0);
    s_remove_db (path);
}

//  The STATUS line of room general shows seq.
static bool
s_general_seq_is (harness_t *harness, harness_proc_t *router, unsigned seq)
{
    char wanted [64];
    snprintf (wanted, sizeof wanted, "room name=general members=1 seq=%u\n", seq);
    int64_t deadline = harness_now () + STORE_TEST_RESYNC_MS;
    while (harness_now () < deadline) {
        char *body = harness_ctl (harness, router, "status", NULL);
        bool found = body && strstr (body, wanted);
        free (body);
        if (found)
            return true;
    }
    return false;
}

static void
test_seq_continues_after_restart (void **state)
{
    harness_t *harness = *state;
    char path [STORE_TEST_PATH_MAX], spec [STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA];
    s_db (harness, "history.db", path, spec);
    const char *extra [] = { "--store", spec, NULL };
    harness_endpoints_t at;
    harness_free_endpoints (&at);
    harness_proc_t *router = harness_router_start_at (harness, at.ingress, at.publish,
                                                      at.control, extra);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_burst_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    //  seq 1 is alice's JOINED, then one per line
    for (int line = 1; line <= STORE_TEST_LINES; line++)
        assert_int_equal (harness_send (alice, "line %d", line), 0);
    assert_true (s_general_seq_is (harness, router, 1 + STORE_TEST_LINES));

    //  Committed: a SIGKILL now loses nothing (a SIGTERM would drain the
    //  gateway away too)
    assert_true (harness_wait_status (harness, router, "history_written", STORE_TEST_LINES,
                                      HARNESS_TIMEOUT_MS));
    harness_proc_kill (router);
    router = harness_router_start_at (harness, at.ingress, at.publish, at.control, extra);
    assert_non_null (router);
    //  The gateway re-registers alice (no announcement, no new seq): the
    //  room is back at the last line's seq, and the next line follows it
    assert_true (s_general_seq_is (harness, router, 1 + STORE_TEST_LINES));
    assert_int_equal (harness_send (alice, "after the restart"), 0);
    assert_true (s_general_seq_is (harness, router, 2 + STORE_TEST_LINES));

    //  A newcomer's replay holds the lines from before the restart and
    //  the one after, each once, then the end of history
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (bob);
    assert_non_null (harness_expect (bob, STORE_TEST_END, HARNESS_TIMEOUT_MS));
    for (int line = 1; line <= STORE_TEST_LINES; line++) {
        char text [64];
        snprintf (text, sizeof text, "] %s: line %d", harness_client_nick (alice), line);
        assert_int_equal (harness_received_count (bob, text), 1);
    }
    assert_int_equal (harness_received_count (bob, ": after the restart"), 1);
    assert_int_equal (harness_received_prefix (bob, "[general "), 1 + STORE_TEST_LINES);

    harness_proc_signal (gateway, SIGTERM);
    assert_int_equal (harness_proc_wait (gateway, HARNESS_STOP_MS), 0);
    harness_proc_signal (router, SIGTERM);
    assert_int_equal (harness_proc_wait (router, HARNESS_STOP_MS), 0);
    s_remove_db (path);
}

//  The router is killed (SIGKILL) in the middle of a burst: after the
//  restart the history holds every line committed before (all of the
//  first part, which was), in order, nothing twice, and goes on.
static void
test_kill_mid_burst (void **state)
{
    harness_t *harness = *state;
    char path [STORE_TEST_PATH_MAX], spec [STORE_TEST_PATH_MAX + STORE_TEST_SPEC_EXTRA];
    s_db (harness, "burst.db", path, spec);
    const char *extra [] = { "--store", spec, "--history-max", "10000",
                             "--history-size", "10000", NULL };
    harness_endpoints_t at;
    harness_free_endpoints (&at);
    harness_proc_t *router = harness_router_start_at (harness, at.ingress, at.publish,
                                                      at.control, extra);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_burst_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_true (harness_set_nick (alice, "alice"));
    long number = 0;
    while (number < STORE_TEST_COMMITTED)
        assert_int_equal (harness_send (alice, "k %ld", ++number), 0);
    assert_true (harness_wait_status (harness, router, "history_written", STORE_TEST_COMMITTED,
                                      STORE_TEST_RESYNC_MS));
    while (number < STORE_TEST_BURST)
        assert_int_equal (harness_send (alice, "k %ld", ++number), 0);
    harness_proc_kill (router);

    router = harness_router_start_at (harness, at.ingress, at.publish, at.control, extra);
    assert_non_null (router);
    assert_true (harness_wait_status (harness, router, "sessions", 1, STORE_TEST_RESYNC_MS));
    assert_int_equal (harness_send (alice, "after"), 0);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (bob);
    assert_non_null (harness_expect (bob, STORE_TEST_END, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect_sub (bob, "] alice: after", HARNESS_TIMEOUT_MS));
    harness_clear (bob);
    assert_int_equal (harness_send (bob, "/history 10000"), 0);
    assert_non_null (harness_expect (bob, STORE_TEST_PAGE_END, HARNESS_TIMEOUT_MS));
    long previous = 0, lines = 0;
    bool after_last = false;
    size_t start = (size_t) harness_line_index (bob, "* end of history (/history more for older lines)");
    for (size_t index = start; index < harness_line_count (bob); index++) {
        const char *line = harness_line_at (bob, index);
        const char *mark = strstr (line, "] alice: k ");
        if (strstr (line, "] alice: after"))
            after_last = true;
        if (!mark)
            continue;
        long seen = atol (mark + strlen ("] alice: k "));
        if (seen <= previous || after_last)
            fail_msg ("history out of order or twice: %ld after %ld", seen, previous);
        //  The committed part is whole
        if (previous < STORE_TEST_COMMITTED && seen != previous + 1)
            fail_msg ("committed line %ld missing", previous + 1);
        previous = seen;
        lines++;
    }
    fprintf (stderr, "kill mid-burst: %ld of %d lines in the history after the restart, "
             "in order, none twice\n", lines, STORE_TEST_BURST);
    assert_true (lines >= STORE_TEST_COMMITTED);
    assert_true (after_last);
    harness_proc_signal (gateway, SIGTERM);
    assert_int_equal (harness_proc_wait (gateway, HARNESS_STOP_MS), 0);
    harness_proc_signal (router, SIGTERM);
    assert_int_equal (harness_proc_wait (router, HARNESS_STOP_MS), 0);
    s_remove_db (path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_bad_store_specs, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_second_router_refused, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_seq_continues_after_restart, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_kill_mid_burst, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    43_history_retention.c - the SQLite file follows --history-size

    A router with --store sqlite:PATH --history-size 50 takes a burst of
    20 000 lines of 200 bytes in one room (4 MB of text). Once every line
    is committed and the router has stopped cleanly (its WAL folded into
    the file), the file is a fraction of what the lines would take: the
    writer deletes what left the ring as it goes, within each batch too,
    so neither the rows nor the file's pages grow with the traffic. A router started again on it shows exactly
    the last 50 lines, in order, to /history.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KEEP_SIZE           50          //  --history-size
#define KEEP_SIZE_TEXT      "50"
#define KEEP_LINES          20000       //  said in all
#define KEEP_PAD            200         //  bytes of text in each: 4 MB in all
#define KEEP_FILE_MAX       (512 * 1024)    //  the file stays below (about 100 KB; it was
                                            //  1-2 MB of free pages when each batch's
                                            //  deletes all ran after its inserts)
#define KEEP_WAIT_MS        60000       //  every line committed by then (sanitizers)
#define KEEP_PATH_MAX       512
#define KEEP_TEXT           1024
#define KEEP_MARK           "] alice: keep "
#define KEEP_PAGE_END       "* end of history page (/history more for older lines)"

static void
test_file_follows_history_size (void **state)
{
    harness_t *harness = *state;
    char path [KEEP_PATH_MAX], spec [KEEP_PATH_MAX + 8];
    snprintf (path, sizeof path, "%s/history.db", harness_dir (harness));
    snprintf (spec, sizeof spec, "sqlite:%s", path);
    //  No replay: carol's /history is the only history she is shown
    const char *router_flags [] = { "--store", spec, "--history-size", KEEP_SIZE_TEXT,
                                    "--replay", "0", "--metrics-listen", "127.0.0.1:0", NULL };
    const char *gateway_flags [] = { "--rate-lines", "0", NULL };
    harness_endpoints_t at;
    harness_free_endpoints (&at);
    harness_proc_t *router = harness_router_start_at (harness, at.ingress, at.publish,
                                                      at.control, router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", gateway_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_true (harness_set_nick (alice, "alice"));
    char pad [KEEP_PAD + 1];
    memset (pad, 'k', KEEP_PAD);
    pad [KEEP_PAD] = 0;
    for (int number = 1; number <= KEEP_LINES; number++)
        assert_int_equal (harness_send (alice, "keep %d %s", number, pad), 0);
    assert_int_equal (harness_wait_metric (router, "zchat_router_history_writes_total",
                                           KEEP_LINES, KEEP_WAIT_MS), KEEP_LINES);
    assert_int_equal (harness_scrape_metric (router, "zchat_router_history_records"), KEEP_SIZE);

    harness_proc_signal (gateway, SIGTERM);
    assert_int_equal (harness_proc_wait (gateway, HARNESS_STOP_MS), 0);
    harness_proc_signal (router, SIGTERM);
    assert_int_equal (harness_proc_wait (router, HARNESS_STOP_MS), 0);
    struct stat file;
    assert_int_equal (stat (path, &file), 0);
    fprintf (stderr, "retention: %d lines of %d bytes, history-size %d: file %lld bytes\n",
             KEEP_LINES, KEEP_PAD, KEEP_SIZE, (long long) file.st_size);
    assert_true (file.st_size < KEEP_FILE_MAX);

    //  What it holds is exactly the last KEEP_SIZE lines
    router = harness_router_start_at (harness, at.ingress, at.publish, at.control, router_flags);
    assert_non_null (router);
    assert_int_equal (harness_wait_metric (router, "zchat_router_history_records", KEEP_SIZE,
                                           KEEP_WAIT_MS), KEEP_SIZE);
    gateway = harness_gateway_start (harness, router, "gw2", gateway_flags);
    assert_non_null (gateway);
    harness_client_t *carol = harness_login (harness, gateway);
    assert_non_null (carol);
    assert_int_equal (harness_send (carol, "/history %d", KEEP_SIZE * 2), 0);
    assert_non_null (harness_expect (carol, KEEP_PAGE_END, KEEP_WAIT_MS));
    int expected = KEEP_LINES - KEEP_SIZE + 1, seen = 0;
    for (size_t index = 0; index < harness_line_count (carol); index++) {
        const char *mark = strstr (harness_line_at (carol, index), KEEP_MARK);
        if (!mark)
            continue;
        int number = atoi (mark + strlen (KEEP_MARK));
        if (number != expected)
            fail_msg ("history line %d where %d was due", number, expected);
        expected++;
        seen++;
    }
    assert_int_equal (seen, KEEP_SIZE);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_file_follows_history_size, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

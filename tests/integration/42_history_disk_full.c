/*  =========================================================================
    42_history_disk_full.c - the history store's disk fills while chat goes on

    A router runs with --store sqlite:PATH on a small tmpfs this test
    mounts (so it needs root: it is in make test-root, which .ci/run runs
    as root; without root it fails and says so, it never skips). Once a
    few lines are on disk, a filler file takes every free byte. Then:

    - live chat goes on: every line said reaches the other member, and
      /history shows it (from memory);
    - the router logs the failure once per interval (STORE_ERROR_LOG_MS),
      not once per line or per retry, while the write-errors counter
      rises with each failed attempt and nothing is written;
    - when the filler goes, the kept lines are written ("writes resumed",
      logged once) and new ones follow; after a SIGKILL and a restart on
      the same file, /history shows the lines from before, during and
      after the outage, each once.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define FULL_DISK_OPTIONS   "size=4m"   //  the tmpfs: a few MB, filled at once
#define FULL_FILL_BLOCK     65536       //  bytes per write when filling it
#define FULL_BEFORE         5           //  lines on disk before it fills
#define FULL_DURING         100         //  lines said while it is full
#define FULL_PAD            400         //  bytes of text in each (the WAL must grow)
#define FULL_RETRIES        5           //  failed attempts seen before space returns
#define FULL_LOG_MS         10000       //  STORE_ERROR_LOG_MS: one failure line per
#define FULL_WAIT_MS        20000       //  a counter reaches its value by then
#define FULL_PATH_MAX       512
#define FULL_TEXT           1024
#define FULL_ALL            (FULL_BEFORE + FULL_DURING + 1)
#define FULL_FAILED         "store: write failed"
#define FULL_RESUMED        "store: writes resumed"
#define FULL_WRITES         "zchat_router_history_writes_total"
#define FULL_ERRORS         "zchat_router_history_write_errors_total"
#define FULL_POLL_MS        50          //  between two scrapes
#define FULL_PAGE_END       "* end of history page (/history more for older lines)"

typedef struct {
    harness_t *harness;
    char mount [FULL_PATH_MAX / 2]; //  the tmpfs, "" when not mounted
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    assert_non_null (self);
    void *harness = NULL;
    if (harness_setup (&harness) != 0)
        return -1;
    self->harness = (harness_t *) harness;
    *state = self;
    return 0;
}

static void
s_unmount (fixture_t *self)
{
    if (!*self->mount)
        return;
    //  Lazy: a router the harness has not stopped yet may hold files there
    if (umount2 (self->mount, MNT_DETACH) != 0)
        fprintf (stderr, "disk full: cannot unmount %s: %s\n", self->mount, strerror (errno));
    rmdir (self->mount);
    *self->mount = 0;
}

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_unmount (self);
    void *harness = self->harness;
    int rc = harness_teardown (&harness);
    free (self);
    return rc;
}

//  Mount the small tmpfs in the scratch directory.
static void
s_mount_disk (fixture_t *self)
{
    if (geteuid () != 0)
        fail_msg ("42_history_disk_full needs root (it mounts a tmpfs): run make test-root "
                  "as root, as .ci/run does");
    snprintf (self->mount, sizeof self->mount, "%s/disk", harness_dir (self->harness));
    assert_int_equal (mkdir (self->mount, 0700), 0);
    if (mount ("tmpfs", self->mount, "tmpfs", 0, FULL_DISK_OPTIONS) != 0) {
        int error = errno;
        rmdir (self->mount);
        *self->mount = 0;
        fail_msg ("cannot mount a tmpfs: %s", strerror (error));
    }
}

//  Take every free byte of the disk; returns the filler's path in filler.
static void
s_fill_disk (fixture_t *self, char *filler, size_t size)
{
    snprintf (filler, size, "%s/filler", self->mount);
    int fd = open (filler, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true (fd >= 0);
    static char block [FULL_FILL_BLOCK];
    memset (block, 'f', sizeof block);
    while (write (fd, block, sizeof block) > 0)
        ;
    assert_int_equal (errno, ENOSPC);
    while (write (fd, block, 1) > 0)
        ;                           //  the last partial block too
    close (fd);
}

//  alice says "<tag> <number> <padding>"; bob must see it live.
static void
s_say (harness_client_t *alice, harness_client_t *bob, const char *tag, int number)
{
    char pad [FULL_PAD + 1];
    memset (pad, 'p', FULL_PAD);
    pad [FULL_PAD] = 0;
    assert_int_equal (harness_send (alice, "%s %d %s", tag, number, pad), 0);
    char wanted [FULL_TEXT];
    snprintf (wanted, sizeof wanted, "[general] alice: %s %d %s", tag, number, pad);
    assert_non_null (harness_expect (bob, wanted, FULL_WAIT_MS));
}

//  carol's /history holds every line said, once each, in order.
static void
s_assert_history (harness_client_t *carol)
{
    harness_clear (carol);
    assert_int_equal (harness_send (carol, "/history %d", FULL_ALL), 0);
    assert_non_null (harness_expect (carol, FULL_PAGE_END, FULL_WAIT_MS));
    static const char *tags [] = { "before", "during", "after" };
    static const int counts [] = { FULL_BEFORE, FULL_DURING, 1 };
    for (size_t tag = 0; tag < sizeof tags / sizeof tags [0]; tag++)
        for (int number = 1; number <= counts [tag]; number++) {
            char wanted [FULL_TEXT];
            snprintf (wanted, sizeof wanted, "] alice: %s %d ", tags [tag], number);
            if (harness_received_count (carol, wanted) != 1)
                fail_msg ("history holds '%s' %d times", wanted,
                          harness_received_count (carol, wanted));
        }
}

static void
test_disk_fills_and_returns (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    harness_t *harness = self->harness;
    s_mount_disk (self);
    char spec [FULL_PATH_MAX];
    snprintf (spec, sizeof spec, "sqlite:%s/history.db", self->mount);
    //  No replay: carol's /history is the only history she is shown
    const char *router_flags [] = { "--store", spec, "--metrics-listen", "127.0.0.1:0",
                                    "--replay", "0", NULL };
    const char *gateway_flags [] = { "--rate-lines", "0", NULL };
    harness_endpoints_t at;
    harness_free_endpoints (&at);
    harness_proc_t *router = harness_router_start_at (harness, at.ingress, at.publish,
                                                      at.control, router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", gateway_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_set_nick (alice, "alice"));
    for (int number = 1; number <= FULL_BEFORE; number++)
        s_say (alice, bob, "before", number);
    assert_int_equal (harness_wait_metric (router, FULL_WRITES, FULL_BEFORE, FULL_WAIT_MS),
                      FULL_BEFORE);

    char filler [FULL_PATH_MAX];
    s_fill_disk (self, filler, sizeof filler);
    int64_t filled_at = harness_now ();
    //  Live chat goes on
    for (int number = 1; number <= FULL_DURING; number++)
        s_say (alice, bob, "during", number);
    int64_t errors;
    for (errors = 0; errors < FULL_RETRIES && harness_now () < filled_at + FULL_WAIT_MS; ) {
        poll (NULL, 0, FULL_POLL_MS);
        errors = harness_scrape_metric (router, FULL_ERRORS);
    }
    assert_true (errors >= FULL_RETRIES);
    int64_t elapsed = harness_now () - filled_at;
    //  Many lines, many failed attempts, few log lines: once per interval
    int failures = harness_proc_log_count (router, FULL_FAILED);
    fprintf (stderr, "disk full: %d lines said, %" PRId64 " failed attempts, %d log line(s) "
             "in %" PRId64 " ms\n", FULL_DURING, errors, failures, elapsed);
    assert_true (failures >= 1);
    assert_true (failures <= 1 + elapsed / FULL_LOG_MS);
    assert_true (errors > failures);
    char *body = harness_scrape (router);
    assert_non_null (body);
    assert_int_equal (harness_metric (body, FULL_WRITES), FULL_BEFORE);
    assert_int_equal (harness_metric (body, "zchat_router_history_pending_records"),
                      FULL_DURING);
    assert_int_equal (harness_metric (body, "zchat_router_history_dropped_total"), 0);
    free (body);

    //  Space returns: what was kept is written, and what comes next
    assert_int_equal (unlink (filler), 0);
    assert_int_equal (harness_wait_metric (router, FULL_WRITES, FULL_BEFORE + FULL_DURING,
                                           FULL_WAIT_MS), FULL_BEFORE + FULL_DURING);
    s_say (alice, bob, "after", 1);
    assert_int_equal (harness_wait_metric (router, FULL_WRITES, FULL_ALL, FULL_WAIT_MS),
                      FULL_ALL);
    assert_true (harness_proc_wait_log (router, FULL_RESUMED, FULL_WAIT_MS));
    assert_int_equal (harness_proc_log_count (router, FULL_RESUMED), 1);

    //  On disk for real: a router started again on the file has it all
    harness_proc_kill (router);
    router = harness_router_start_at (harness, at.ingress, at.publish, at.control,
                                      router_flags);
    assert_non_null (router);
    assert_true (harness_wait_status (harness, router, "sessions", 2, FULL_WAIT_MS));
    harness_client_t *carol = harness_login (harness, gateway);
    assert_non_null (carol);
    s_assert_history (carol);

    harness_proc_signal (gateway, SIGTERM);
    assert_int_equal (harness_proc_wait (gateway, HARNESS_STOP_MS), 0);
    harness_proc_signal (router, SIGTERM);
    assert_int_equal (harness_proc_wait (router, HARNESS_STOP_MS), 0);
    s_unmount (self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_disk_fills_and_returns, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

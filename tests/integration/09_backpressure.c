/*  =========================================================================
    09_backpressure.c - a client that never reads slows nobody down

    One client in a room never reads while another floods the room (a
    bounded burst). The readers, on both gateways, receive every line in
    order; the stuck client is told it lagged or is disconnected (small
    --outbuf-max and --stuck-timeout); the gateway's memory stays bounded,
    under sanitizers too: the gateways run there with a small ASan
    quarantine, so freed memory does not count as growth.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOOD_GATEWAYS      2
#define FLOOD_LINES         40000   //  8 MB: more than the kernel buffers of a
                                    //  loopback connection (tcp_wmem max 4 MB)
#define FLOOD_LINE_SIZE     200     //  bytes per line including CRLF
#define FLOOD_DEADLINE_MS   60000   //  whole flood, generous under sanitizers
#define FLOOD_RSS_GROWTH_KB (4 * 1024) //  8 MB flow through; keeping them for the
                                    //  stuck client would cost 8 MB; measured ~1 MB
#define FLOOD_RSS_GROWTH_SANITIZED_KB (32 * 1024) //  ASan's 4 MB quarantine and
                                    //  shadow memory; measured ~11 MB
#define FLOOD_ASAN_QUARANTINE "quarantine_size_mb=4"   //  the gateways' ASan
                                    //  quarantine (default 256 MB, counted in
                                    //  RSS): the bound holds there too
#define FLOOD_ENV_SIZE      1024    //  bytes of the gateways' ASAN_OPTIONS
#define FLOOD_READERS       2
#define FLOOD_TEXT_SIZE     256
#define FLOOD_WINDOW        250     //  lines the sender may be ahead of a reader
                                    //  (250 * 200 bytes, under --outbuf-max)
#define FLOOD_POLL_MS       100
#define FLOOD_TICK_MS       100     //  a line this often after the flood
#define FLOOD_STUCK_WAIT_MS 5000    //  --stuck-timeout 1 fires well within this
#define FLOOD_LAG_WAIT_MS   30000   //  a late reader drains the kernel buffers
                                    //  (megabytes), generous under sanitizers
#define FLOOD_LAGGED        "! lagged: "
#define FLOOD_DELIVERED     "[flood] alice: flood "

//  Flood control off: these test the reader's side (skip and tell) under
//  a sender nothing slows (24_flood_control tests the sender's side)
static const char *s_gateway_flags [] = {
    "--outbuf-max", "65536", "--stuck-timeout", "1", "--rate-lines", "0", NULL
};
static const char *s_lag_flags [] = {
    "--outbuf-max", "65536", "--stuck-timeout", "60", "--rate-lines", "0", NULL
};

//  Line number index of the flood, padded to FLOOD_LINE_SIZE with CRLF.
static void
s_flood_line (char *buffer, int index)
{
    int size = snprintf (buffer, FLOOD_LINE_SIZE + 1, "flood %06d ", index);
    memset (buffer + size, 'f', FLOOD_LINE_SIZE - 2 - (size_t) size);
    memcpy (buffer + FLOOD_LINE_SIZE - 2, "\r\n", 2);
}

//  The router, and the gateways with flags, their ASan quarantine small
//  (the test's ASAN_OPTIONS plus FLOOD_ASAN_QUARANTINE; unused when the
//  gateway is not sanitized).
static void
s_start (harness_t *harness, const char **flags, harness_proc_t **gateways)
{
    harness_proc_t *router = harness_router_start (harness, NULL);
    assert_non_null (router);
    const char *options = getenv ("ASAN_OPTIONS");
    char value [FLOOD_ENV_SIZE];
    int size = snprintf (value, sizeof value, "%s%s%s", options ? options : "",
                         options && *options ? ":" : "", FLOOD_ASAN_QUARANTINE);
    assert_true (size > 0 && (size_t) size < sizeof value);
    harness_child_env (harness, "ASAN_OPTIONS", value);
    for (size_t index = 0; index < FLOOD_GATEWAYS; index++) {
        char name [FLOOD_TEXT_SIZE];
        snprintf (name, sizeof name, "gw%zu", index + 1);
        gateways [index] = harness_gateway_start (harness, router, name, flags);
        assert_non_null (gateways [index]);
    }
}

//  Router, two gateways with flags; alice floods #flood while two
//  readers (one per gateway) read and a third member on alice's gateway
//  never reads. Checks the readers got everything in order and the
//  gateway's memory stayed bounded.
static void
s_flood (harness_t *harness, const char **flags, harness_client_t **alice_p,
         harness_client_t **stuck_p, harness_client_t **readers)
{
    harness_proc_t *gateways [FLOOD_GATEWAYS];
    s_start (harness, flags, gateways);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *stuck = harness_login (harness, gateways [0]);
    readers [0] = harness_login (harness, gateways [0]);
    readers [1] = harness_login (harness, gateways [1]);
    *alice_p = alice;
    *stuck_p = stuck;
    assert_non_null (alice);
    assert_non_null (stuck);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_join (alice, "flood"));
    assert_true (harness_join (stuck, "flood"));
    for (size_t index = 0; index < FLOOD_READERS; index++) {
        assert_non_null (readers [index]);
        assert_true (harness_join (readers [index], "flood"));
    }
    assert_true (harness_marker (alice, "flood", readers, FLOOD_READERS));
    long rss_before = harness_proc_rss_kb (gateways [0]);
    assert_true (rss_before > 0);

    //  Write the flood while reading both readers, never more than a window
    //  ahead of the slower one (so the readers are never slow themselves);
    //  the stuck client never reads
    char *flood = malloc ((size_t) FLOOD_LINES * FLOOD_LINE_SIZE);
    assert_non_null (flood);
    for (int index = 0; index < FLOOD_LINES; index++)
        s_flood_line (flood + (size_t) index * FLOOD_LINE_SIZE, index);
    size_t total = (size_t) FLOOD_LINES * FLOOD_LINE_SIZE, sent = 0;
    int64_t deadline = harness_now () + FLOOD_DEADLINE_MS;
    long rss_peak = rss_before;
    size_t baseline [FLOOD_READERS];
    for (size_t index = 0; index < FLOOD_READERS; index++)
        baseline [index] = harness_line_count (readers [index]);
    while (sent < total && harness_now () < deadline) {
        size_t slowest = FLOOD_LINES;
        for (size_t index = 0; index < FLOOD_READERS; index++) {
            size_t got = harness_line_count (readers [index]) - baseline [index];
            if (got < slowest)
                slowest = got;
        }
        size_t allowed = (slowest + FLOOD_WINDOW) * FLOOD_LINE_SIZE;
        if (allowed > total)
            allowed = total;
        struct pollfd items [] = {
            { harness_client_fd (alice), sent < allowed ? POLLOUT : 0, 0 },
            { harness_client_fd (readers [0]), POLLIN, 0 },
            { harness_client_fd (readers [1]), POLLIN, 0 },
        };
        poll (items, sizeof items / sizeof items [0], FLOOD_POLL_MS);
        if ((items [0].revents & POLLOUT) && sent < allowed) {
            ssize_t written = harness_write_some (alice, flood + sent, allowed - sent);
            assert_true (written >= 0);
            sent += (size_t) written;
        }
        for (size_t index = 0; index < FLOOD_READERS; index++)
            harness_read_some (readers [index], 0);
        long rss = harness_proc_rss_kb (gateways [0]);
        if (rss > rss_peak)
            rss_peak = rss;
    }
    assert_int_equal (sent, total);

    //  Every reader gets every line, in order; only notices (the stuck
    //  client leaving) may come in between
    char line [FLOOD_TEXT_SIZE];
    for (size_t index = 0; index < FLOOD_READERS; index++) {
        for (int number = 0; number < FLOOD_LINES; number++) {
            const char *next = harness_next_line (readers [index],
                                                  (int) (deadline - harness_now ()));
            assert_non_null (next);
            if (strncmp (next, "* ", 2) == 0) {
                number--;
                continue;
            }
            snprintf (line, sizeof line, "[flood] alice: %.*s", FLOOD_LINE_SIZE - 2,
                      flood + (size_t) number * FLOOD_LINE_SIZE);
            assert_string_equal (next, line);
        }
        assert_int_equal (harness_received_prefix (readers [index], "! "), 0);
    }
    free (flood);
    long rss_after = harness_proc_rss_kb (gateways [0]);
    fprintf (stderr, "backpressure: gateway rss before=%ld peak=%ld after=%ld KiB%s\n",
             rss_before, rss_peak, rss_after, harness_proc_sanitized (gateways [0])
             ? " (sanitized, " FLOOD_ASAN_QUARANTINE ")" : "");
    long bound = harness_proc_sanitized (gateways [0])
               ? FLOOD_RSS_GROWTH_SANITIZED_KB: FLOOD_RSS_GROWTH_KB;
    assert_true (rss_peak - rss_before < bound);
}

static void
test_stuck_reader (void **state)
{
    harness_client_t *alice, *stuck, *readers [FLOOD_READERS];
    s_flood (*state, s_gateway_flags, &alice, &stuck, readers);

    //  The room stays busy past --stuck-timeout: the stuck client, whose
    //  output stays full, is disconnected and its leave announced. With
    //  the kernel's share of its output bounded (--sndbuf) that may
    //  happen during the flood already, where s_flood passes over it
    char left [FLOOD_TEXT_SIZE];
    snprintf (left, sizeof left, "* %s left #flood (stuck)", harness_client_nick (stuck));
    int64_t stuck_deadline = harness_now () + FLOOD_STUCK_WAIT_MS;
    while ((harness_received_exact (readers [0], left) == 0
        ||  harness_received_exact (readers [1], left) == 0)
        && harness_now () < stuck_deadline) {
        assert_int_equal (harness_send (alice, "tick"), 0);
        harness_read_some (readers [0], FLOOD_TICK_MS);
        harness_read_some (readers [1], 0);
    }
    assert_int_equal (harness_received_exact (readers [0], left), 1);
    assert_int_equal (harness_received_exact (readers [1], left), 1);
    harness_end_t end = harness_read_to_end (stuck, HARNESS_TIMEOUT_MS);
    int delivered = harness_received_prefix (stuck, FLOOD_DELIVERED);
    fprintf (stderr, "backpressure: stuck client got %d of %d lines, then %s\n",
             delivered, FLOOD_LINES,
             end == HARNESS_EOF ? "closed" : end == HARNESS_RESET ? "reset" : "open");
    assert_true (delivered < FLOOD_LINES);
    assert_true (end != HARNESS_OPEN);

    //  Everyone else carries on
    assert_true (harness_marker (readers [1], "flood", &readers [0], 1));
    assert_true (harness_marker (alice, "flood", readers, FLOOD_READERS));
}

//  Tally of what a late reader received: flood lines delivered, lines the
//  lag notices say were skipped, and how many notices. scanned is the
//  index of the next received line to look at.
typedef struct {
    size_t scanned;
    long delivered;
    long skipped;
    int notices;
} s_tally_t;

static void
s_tally_update (s_tally_t *tally, harness_client_t *client)
{
    for (; tally->scanned < harness_line_count (client); tally->scanned++) {
        const char *line = harness_line_at (client, tally->scanned);
        if (strncmp (line, FLOOD_LAGGED, strlen (FLOOD_LAGGED)) == 0) {
            tally->skipped += strtol (line + strlen (FLOOD_LAGGED), NULL, 10);
            tally->notices++;
        }
        else
        if (strncmp (line, FLOOD_DELIVERED, strlen (FLOOD_DELIVERED)) == 0)
            tally->delivered++;
    }
}

//  A reader that stops reading and comes back later (no stuck timeout):
//  it gets what fit, then "! lagged: N messages skipped", and what it got
//  plus what it was told it missed is the whole flood.
static void
test_lagged_reader (void **state)
{
    harness_client_t *alice, *late, *readers [FLOOD_READERS];
    s_flood (*state, s_lag_flags, &alice, &late, readers);

    //  The readers on late's gateway got the whole flood, so the gateway
    //  has already queued or skipped every flood line for late. Late now
    //  reads: its queue drains and the lag notice follows. Read until the
    //  lines delivered plus those reported skipped account for the whole
    //  flood; a line lost without being counted keeps the sum short, and
    //  the deadline fails the test.
    s_tally_t tally = { 0, 0, 0, 0 };
    int64_t deadline = harness_now () + FLOOD_LAG_WAIT_MS;
    while (tally.delivered + tally.skipped < FLOOD_LINES && harness_now () < deadline) {
        if (harness_read_some (late, FLOOD_POLL_MS) < 0)
            break;
        s_tally_update (&tally, late);
    }
    fprintf (stderr, "backpressure: late reader got %ld of %d lines, told of %ld skipped "
             "in %d notice(s)\n", tally.delivered, FLOOD_LINES, tally.skipped, tally.notices);
    assert_true (tally.notices >= 1);
    assert_true (tally.delivered < FLOOD_LINES);
    assert_int_equal (tally.delivered + tally.skipped, FLOOD_LINES);

    //  Late's queue is empty now and nothing of the flood is left to come:
    //  a marker reaches it, and nothing more was delivered or reported
    //  skipped before it
    assert_true (harness_marker (alice, "flood", &late, 1));
    s_tally_update (&tally, late);
    assert_int_equal (tally.delivered + tally.skipped, FLOOD_LINES);
    assert_true (harness_marker (alice, "flood", readers, FLOOD_READERS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_stuck_reader, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_lagged_reader, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

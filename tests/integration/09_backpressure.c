/*  =========================================================================
    09_backpressure.c - a client that never reads slows nobody down

    One client in a room never reads while another floods the room (a
    bounded burst). The readers, on both gateways, receive every line in
    order; the stuck client is told it lagged or is disconnected (small
    --outbuf-max and --stuck-timeout); the gateway's memory stays bounded.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOOD_GATEWAYS      2
#define FLOOD_LINES         20000
#define FLOOD_LINE_SIZE     200     //  bytes per line including CRLF
#define FLOOD_DEADLINE_MS   60000   //  whole flood, generous under sanitizers
#define FLOOD_RSS_GROWTH_KB (64 * 1024) //  generous: 4 MB flow through
#define FLOOD_READERS       2
#define FLOOD_TEXT_SIZE     256

static const char *s_gateway_flags [] = {
    "--outbuf-max", "65536", "--stuck-timeout", "1", NULL
};

//  Line number index of the flood, padded to FLOOD_LINE_SIZE with CRLF.
static void
s_flood_line (char *buffer, int index)
{
    int size = snprintf (buffer, FLOOD_LINE_SIZE + 1, "flood %06d ", index);
    memset (buffer + size, 'f', FLOOD_LINE_SIZE - 2 - (size_t) size);
    memcpy (buffer + FLOOD_LINE_SIZE - 2, "\r\n", 2);
}

static void
test_stuck_reader (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [FLOOD_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, FLOOD_GATEWAYS,
                                           s_gateway_flags));
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *stuck = harness_login (harness, gateways [0]);
    harness_client_t *readers [FLOOD_READERS] = {
        harness_login (harness, gateways [0]),
        harness_login (harness, gateways [1]),
    };
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

    //  Write the flood while reading both readers; the stuck client never reads
    char *flood = malloc ((size_t) FLOOD_LINES * FLOOD_LINE_SIZE);
    assert_non_null (flood);
    for (int index = 0; index < FLOOD_LINES; index++)
        s_flood_line (flood + (size_t) index * FLOOD_LINE_SIZE, index);
    size_t total = (size_t) FLOOD_LINES * FLOOD_LINE_SIZE, sent = 0;
    int64_t deadline = harness_now () + FLOOD_DEADLINE_MS;
    long rss_peak = rss_before;
    while (sent < total && harness_now () < deadline) {
        struct pollfd items [] = {
            { harness_client_fd (alice), POLLOUT, 0 },
            { harness_client_fd (readers [0]), POLLIN, 0 },
            { harness_client_fd (readers [1]), POLLIN, 0 },
        };
        poll (items, 3, 100);
        if (items [0].revents & POLLOUT) {
            ssize_t written = harness_write_some (alice, flood + sent, total - sent);
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
    fprintf (stderr, "backpressure: gateway rss before=%ld peak=%ld after=%ld KiB\n",
             rss_before, rss_peak, rss_after);
    assert_true (rss_peak - rss_before < FLOOD_RSS_GROWTH_KB);

    //  The stuck client missed lines: it was closed, or told it lagged
    harness_end_t end = harness_read_to_end (stuck, HARNESS_TIMEOUT_MS);
    int lagged = harness_received_prefix (stuck, "! lagged: ");
    int delivered = harness_received_prefix (stuck, "[flood] alice: flood ");
    fprintf (stderr, "backpressure: stuck client got %d lines, lag notices %d, %s\n",
             delivered, lagged,
             end == HARNESS_EOF ? "closed" : end == HARNESS_RESET ? "reset" : "open");
    assert_true (delivered < FLOOD_LINES);
    assert_true (end != HARNESS_OPEN || lagged > 0);

    //  Everyone else carries on
    assert_true (harness_marker (readers [1], "flood", &readers [0], 1));
    assert_true (harness_marker (alice, "flood", readers, FLOOD_READERS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_stuck_reader, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

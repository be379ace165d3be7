/*  =========================================================================
    23_history_recovery.c - a gateway that dropped room traffic gets it back

    Gateway 2 runs with a tiny --sub-hwm and is stopped (SIGSTOP) while
    alice, on gateway 1, says a burst of numbered lines: its SUB drops
    most of them. When it runs again it sees the jump in the room's
    sequence numbers, asks the router's history for the missing range
    and delivers it, in order, before the room's later traffic: bob, on
    gateway 2, ends up with every line, once, in order, and no "missed"
    notice. With --history-size smaller than the drop, what the history
    no longer holds is reported, exactly: lines bob got plus the missed
    count add up to the burst. Gateway 2's metrics count the same: one
    gap per recovery, the missed lines exactly.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>

//  The burst is sent as fast as possible: flood control off
static const char *s_burst_flags [] = { "--rate-lines", "0", NULL };
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECOVERY_LINES          20000   //  the burst
#define RECOVERY_END_MS         30000   //  bob has the last line by then
#define RECOVERY_MARK           "[burst] alice: b "
#define RECOVERY_MISSED         "! missed "
#define RECOVERY_LINE_MAX       64
#define RECOVERY_TICK_MS        200     //  between two "tick" lines

//  What bob received of the burst: lines, in order, and missed counts.
static void
s_tally (harness_client_t *bob, long *lines_p, long *missed_p, bool *ordered_p)
{
    long previous = 0, lines = 0, missed = 0;
    bool ordered = true;
    for (size_t at = 0; at < harness_line_count (bob); at++) {
        const char *line = harness_line_at (bob, at);
        if (strncmp (line, RECOVERY_MISSED, strlen (RECOVERY_MISSED)) == 0)
            missed += atol (line + strlen (RECOVERY_MISSED));
        if (strncmp (line, RECOVERY_MARK, strlen (RECOVERY_MARK)) != 0)
            continue;
        long number = atol (line + strlen (RECOVERY_MARK));
        if (number <= previous)
            ordered = false;
        previous = number;
        lines++;
    }
    *lines_p = lines;
    *missed_p = missed;
    *ordered_p = ordered;
}

//  A gap is seen when a later line arrives: alice says "tick" lines until
//  bob has the burst's last line (or the deadline). True if he got it.
static bool
s_wait_last (harness_client_t *alice, harness_client_t *bob)
{
    char last [RECOVERY_LINE_MAX];
    snprintf (last, sizeof last, RECOVERY_MARK "%d", RECOVERY_LINES);
    int64_t deadline = harness_now () + RECOVERY_END_MS;
    while (harness_now () < deadline) {
        if (harness_expect (bob, last, RECOVERY_TICK_MS))
            return true;
        assert_int_equal (harness_send (alice, "tick"), 0);
    }
    return false;
}

//  The burst with gateway 2 stopped; returns bob (on gateway 2).
static harness_client_t *
s_burst (harness_t *harness, const char **router_flags, harness_proc_t **gateways,
         harness_client_t **alice_p)
{
    const char *gateway_flags [] = { "--sub-hwm", "10", "--router-timeout", "60",
                                     "--rate-lines", "0", "--metrics-listen", "127.0.0.1:0",
                                     NULL };
    harness_proc_t *router = harness_router_start (harness, router_flags);
    (void) harness;
    assert_non_null (router);
    gateways [0] = harness_gateway_start (harness, router, "gw1", s_burst_flags);
    gateways [1] = harness_gateway_start (harness, router, "gw2", gateway_flags);
    assert_non_null (gateways [0]);
    assert_non_null (gateways [1]);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_join (alice, "burst"));
    assert_true (harness_join (bob, "burst"));
    harness_clear (bob);

    harness_proc_signal (gateways [1], SIGSTOP);
    for (long number = 1; number <= RECOVERY_LINES; number++)
        assert_int_equal (harness_send (alice, "b %ld", number), 0);
    //  Every line reached the router (and its history) before gw2 runs
    //  again: the /who answer comes after them on alice's uplink
    assert_int_equal (harness_send (alice, "/who"), 0);
    assert_non_null (harness_expect_sub (alice, "* #burst (", RECOVERY_END_MS));
    harness_proc_signal (gateways [1], SIGCONT);
    *alice_p = alice;
    return bob;
}

static void
test_recovered_in_full (void **state)
{
    harness_t *harness = *state;
    const char *router_flags [] = { "--pub-hwm", "100", "--gateway-timeout", "60",
                                    "--history-size", "50000", NULL };
    harness_proc_t *gateways [2];
    harness_client_t *alice;
    harness_client_t *bob = s_burst (harness, router_flags, gateways, &alice);
    bool got = s_wait_last (alice, bob);
    long lines, missed;
    bool ordered;
    s_tally (bob, &lines, &missed, &ordered);
    if (!got) {
        fprintf (stderr, "bob: %ld lines, %ld missed, last: %s\n", lines, missed,
                 harness_line_at (bob, harness_line_count (bob) - 1));
        harness_proc_dump (gateways [1]);
    }
    assert_true (got);
    int recoveries = harness_proc_log_count (gateways [1], "fanout: recovery ");
    fprintf (stderr, "recovery: bob got %ld of %d lines, %ld reported missed, "
             "%d recovery(ies)\n", lines, RECOVERY_LINES, missed, recoveries);
    //  The SUB did drop (else this proves nothing), and all came back
    assert_true (recoveries >= 1);
    assert_true (ordered);
    assert_int_equal (lines, RECOVERY_LINES);
    assert_int_equal (missed, 0);
    //  Counted: one gap per recovery, lines back, none missed
    assert_int_equal (harness_wait_metric (gateways [1], "zchat_gateway_sequence_gaps_total",
                                           recoveries, RECOVERY_END_MS), recoveries);
    char *body = harness_scrape (gateways [1]);
    assert_non_null (body);
    assert_true (harness_metric (body, "zchat_gateway_recovered_messages_total") > 0);
    assert_int_equal (harness_metric (body, "zchat_gateway_missed_messages_total"), 0);
    free (body);
}

static void
test_history_too_short (void **state)
{
    harness_t *harness = *state;
    const char *router_flags [] = { "--pub-hwm", "100", "--gateway-timeout", "60",
                                    "--history-size", "100", NULL };
    harness_proc_t *gateways [2];
    harness_client_t *alice;
    harness_client_t *bob = s_burst (harness, router_flags, gateways, &alice);
    assert_true (s_wait_last (alice, bob));
    long lines, missed;
    bool ordered;
    s_tally (bob, &lines, &missed, &ordered);
    fprintf (stderr, "recovery: bob got %ld of %d lines, %ld reported missed\n",
             lines, RECOVERY_LINES, missed);
    assert_true (ordered);
    assert_true (missed > 0);
    //  Exactly what could not be recovered is reported, and counted
    assert_int_equal (lines + missed, RECOVERY_LINES);
    assert_int_equal (harness_wait_metric (gateways [1], "zchat_gateway_missed_messages_total",
                                           missed, RECOVERY_END_MS), missed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_recovered_in_full, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_history_too_short, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

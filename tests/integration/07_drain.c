/*  =========================================================================
    07_drain.c - shutting down without losing lines

    Router shutdown (zchat-ctl shutdown, or SIGTERM) drains: every line the
    router accepted reaches every other member before their connection
    closes, everyone sees "* Server shutting down...", connections close
    cleanly (FIN, no reset) and every process exits 0. SIGTERM to one
    gateway alone: its clients are told to reconnect and closed cleanly,
    the router forgets them at once, and the rest carry on.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_GATEWAYS      2
#define DRAIN_BURST         5000    //  lines sent right before the shutdown
#define DRAIN_SEEN          "[general] alice: burst 100"   //  shutdown once a
                                    //  receiver has this, mid-burst
#define DRAIN_CLOSE_MS      12000   //  drain of both tiers, end to end
#define DRAIN_LINE_SIZE     256
#define DRAIN_NOTICE        "* Server shutting down..."
#define DRAIN_RECONNECT     "* This gateway is shutting down; please reconnect."

static const char *s_router_flags [] = { "--drain-timeout", "5", NULL };
//  The burst is a throughput load, not a person: flood control off
static const char *s_gateway_flags [] = { "--rate-lines", "0", NULL };

//  Count the burst lines client got, and check they are burst 0..K-1 in
//  order, each once, all before the shutdown notice. Returns K.
static long
s_check_burst (harness_client_t *client)
{
    long count = harness_received_prefix (client, "[general] alice: burst ");
    long previous = -1;
    char line [DRAIN_LINE_SIZE];
    for (long index = 0; index < count; index++) {
        snprintf (line, sizeof line, "[general] alice: burst %ld", index);
        long position = harness_line_index (client, line);
        assert_true (position > previous);
        assert_int_equal (harness_received_exact (client, line), 1);
        previous = position;
    }
    long notice = harness_line_index (client, DRAIN_NOTICE);
    assert_true (notice > previous);
    return count;
}

//  A burst, then shutdown: all receivers get the same complete prefix of
//  the burst, the notice, a clean close; every process exits 0.
static void
s_drain (harness_t *harness, bool by_signal)
{
    harness_proc_t *gateways [DRAIN_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways,
                                                   DRAIN_GATEWAYS, s_gateway_flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *receivers [] = {
        harness_login (harness, gateways [0]),
        harness_login (harness, gateways [1]),
        harness_login (harness, gateways [1]),
    };
    size_t receiver_count = sizeof receivers / sizeof receivers [0];
    assert_non_null (alice);
    for (size_t index = 0; index < receiver_count; index++)
        assert_non_null (receivers [index]);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_marker (alice, "general", receivers, receiver_count));

    size_t cap = DRAIN_BURST * 32, size = 0;
    char *burst = malloc (cap);
    assert_non_null (burst);
    for (int index = 0; index < DRAIN_BURST; index++)
        size += (size_t) snprintf (burst + size, cap - size, "burst %d\r\n", index);
    assert_int_equal (harness_send_raw (alice, burst, size), 0);
    free (burst);
    assert_non_null (harness_expect (receivers [receiver_count - 1], DRAIN_SEEN,
                                     HARNESS_TIMEOUT_MS));
    if (by_signal)
        harness_proc_signal (router, SIGTERM);
    else {
        int exit_code;
        char *reply = harness_ctl (harness, router, "shutdown", &exit_code);
        assert_int_equal (exit_code, 0);
        free (reply);
    }

    long accepted = -1;
    for (size_t index = 0; index < receiver_count; index++) {
        assert_int_equal (harness_read_to_end (receivers [index], DRAIN_CLOSE_MS), HARNESS_EOF);
        long count = s_check_burst (receivers [index]);
        if (accepted == -1)
            accepted = count;
        assert_int_equal (count, accepted);
        assert_int_equal (harness_bad_endings (receivers [index]), 0);
    }
    assert_int_equal (harness_read_to_end (alice, DRAIN_CLOSE_MS), HARNESS_EOF);
    assert_int_equal (harness_received_exact (alice, DRAIN_NOTICE), 1);
    fprintf (stderr, "drain: %ld of %d burst lines accepted before the shutdown\n",
             accepted, DRAIN_BURST);

    for (size_t index = 0; index < DRAIN_GATEWAYS; index++) {
        assert_true (harness_proc_wait (gateways [index], DRAIN_CLOSE_MS) != -1);
        assert_true (harness_proc_clean (gateways [index]));
    }
    assert_true (harness_proc_wait (router, DRAIN_CLOSE_MS) != -1);
    assert_true (harness_proc_clean (router));
}

static void
test_drain_by_ctl (void **state)
{
    s_drain (*state, false);
}

static void
test_drain_by_sigterm (void **state)
{
    s_drain (*state, true);
}

//  A shutdown with a client that never reads: the gateway stops lingering
//  for its EOF after a bound, and every process exits 0 on its own.
static void
test_drain_quiet (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [DRAIN_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways,
                                                   DRAIN_GATEWAYS, s_gateway_flags);
    assert_non_null (router);
    assert_non_null (harness_login (harness, gateways [0]));
    int exit_code;
    char *reply = harness_ctl (harness, router, "shutdown", &exit_code);
    assert_int_equal (exit_code, 0);
    free (reply);
    assert_true (harness_proc_wait (router, DRAIN_CLOSE_MS) != -1);
    assert_true (harness_proc_clean (router));
    for (size_t index = 0; index < DRAIN_GATEWAYS; index++) {
        assert_true (harness_proc_wait (gateways [index], DRAIN_CLOSE_MS) != -1);
        assert_true (harness_proc_clean (gateways [index]));
    }
}

//  SIGTERM to one gateway: its clients get the notice and a clean close,
//  the router drops their sessions (leave lines for the others), the
//  other gateway keeps serving, the stopped gateway exits 0.
static void
test_gateway_sigterm (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [DRAIN_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways,
                                                   DRAIN_GATEWAYS, NULL);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [0]);
    harness_client_t *carol = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (carol);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_set_nick (bob, "bob"));
    assert_true (harness_set_nick (carol, "carol"));
    assert_true (harness_wait_status (harness, router, "sessions", 3, HARNESS_TIMEOUT_MS));

    harness_proc_signal (gateways [0], SIGTERM);
    assert_non_null (harness_expect (alice, DRAIN_RECONNECT, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (bob, DRAIN_RECONNECT, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_read_to_end (alice, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_int_equal (harness_read_to_end (bob, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_non_null (harness_expect (carol, "* alice left #general (gateway shut down)",
                                     HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, "* bob left #general (gateway shut down)",
                                     HARNESS_TIMEOUT_MS));
    assert_true (harness_proc_wait (gateways [0], DRAIN_CLOSE_MS) != -1);
    assert_true (harness_proc_clean (gateways [0]));
    assert_true (harness_wait_status (harness, router, "sessions", 1, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));

    //  The rest keep chatting, and the names are free again
    harness_client_t *dave = harness_login (harness, gateways [1]);
    assert_non_null (dave);
    assert_true (harness_set_nick (dave, "alice"));
    assert_true (harness_marker (dave, "general", &carol, 1));
    assert_int_equal (harness_send (carol, "/who"), 0);
    assert_non_null (harness_expect (carol, "* #general (2): alice, carol", HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_drain_by_ctl, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_drain_by_sigterm, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_drain_quiet, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_gateway_sigterm, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

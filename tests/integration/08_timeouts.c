/*  =========================================================================
    08_timeouts.c - idle clients and slowloris are closed

    With --idle-timeout 1, a client that completes no line for a second is
    told "! idle for 1 seconds, disconnecting" and closed cleanly; a client
    trickling a line that never ends is idle too (partial bytes are not
    activity); a client that keeps sending lines stays. Before the close a
    client is told how to stay, and an empty line is enough.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_GATEWAYS       2
#define IDLE_NOTICE         "! idle for 1 seconds, disconnecting"
#define IDLE_TICK_MS        250     //  the active client's line period
#define IDLE_CLOSE_MS       5000    //  a 1 s timeout fires well within this
#define IDLE_LINE_SIZE      256
#define IDLE_MIN_MS         900     //  not closed before its time (clock slack)

static const char *s_gateway_flags [] = { "--idle-timeout", "1", NULL };

//  Keep active busy (one /who per tick) until idler is closed or the
//  deadline passes; idler may trickle bytes of an unfinished line.
static harness_end_t
s_wait_idle_close (harness_client_t *active, harness_client_t *idler, bool trickle)
{
    int64_t deadline = harness_now () + IDLE_CLOSE_MS;
    while (harness_now () < deadline) {
        assert_int_equal (harness_send (active, "/who"), 0);
        if (trickle)
            harness_send_raw (idler, "x", 1);
        harness_end_t end = harness_read_to_end (idler, IDLE_TICK_MS);
        if (end != HARNESS_OPEN)
            return end;
    }
    return HARNESS_OPEN;
}

//  An idle client is noticed and closed; an active one stays; the room
//  hears the idle one leave.
static void
test_idle (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [IDLE_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, IDLE_GATEWAYS,
                                           s_gateway_flags));
    harness_client_t *idler = harness_login (harness, gateways [0]);
    harness_client_t *active = harness_login (harness, gateways [1]);
    assert_non_null (idler);
    assert_non_null (active);
    int64_t start = harness_now ();

    assert_int_equal (s_wait_idle_close (active, idler, false), HARNESS_EOF);
    assert_true (harness_now () - start >= IDLE_MIN_MS);
    assert_int_equal (harness_received_exact (idler, IDLE_NOTICE), 1);
    char line [IDLE_LINE_SIZE];
    snprintf (line, sizeof line, "* %s left #general (idle)", harness_client_nick (idler));
    assert_non_null (harness_expect (active, line, HARNESS_TIMEOUT_MS));
    //  The active client survived more than its idle timeout
    assert_int_equal (harness_send (active, "/who"), 0);
    snprintf (line, sizeof line, "* #general (1): %s", harness_client_nick (active));
    assert_non_null (harness_expect (active, line, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (active, IDLE_NOTICE), 0);
}

//  A line that never ends does not keep a connection alive.
static void
test_slowloris (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [IDLE_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, IDLE_GATEWAYS,
                                           s_gateway_flags));
    harness_client_t *slow = harness_login (harness, gateways [0]);
    harness_client_t *active = harness_login (harness, gateways [0]);
    assert_non_null (slow);
    assert_non_null (active);

    assert_int_equal (harness_send_raw (slow, "never", 5), 0);
    harness_end_t end = s_wait_idle_close (active, slow, true);
    assert_true (end != HARNESS_OPEN);
    assert_int_equal (harness_received_exact (slow, IDLE_NOTICE), 1);
    char line [IDLE_LINE_SIZE];
    snprintf (line, sizeof line, "* %s left #general (idle)", harness_client_nick (slow));
    assert_non_null (harness_expect (active, line, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (active, "never"), 0);
}

//  A client that connects and never sends anything (not even a login
//  line) is closed too.
static void
test_silent_connection (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [IDLE_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, IDLE_GATEWAYS,
                                           s_gateway_flags));
    harness_client_t *silent = harness_connect (harness, gateways [1]);
    assert_non_null (silent);
    assert_int_equal (harness_read_to_end (silent, IDLE_CLOSE_MS), HARNESS_EOF);
    assert_int_equal (harness_received_exact (silent, IDLE_NOTICE), 1);
}

//  Half the idle timeout before the close (at most --idle-warning) the
//  client is told how to stay; an empty line resets the clock, so what
//  comes next is a second warning, not the close.
static void
test_idle_warning_empty_line (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [1];
    const char *extra [] = { "--idle-timeout", "4", NULL };
    assert_non_null (harness_start_system (harness, NULL, gateways, 1, extra));
    harness_client_t *reader = harness_login (harness, gateways [0]);
    assert_non_null (reader);
    const char *warning = "* you will be disconnected in 2 s for inactivity; send any line "
                          "(even an empty one) to stay";
    assert_non_null (harness_expect (reader, warning, IDLE_CLOSE_MS * 2));
    assert_int_equal (harness_send_raw (reader, "\r\n", 2), 0);
    assert_non_null (harness_expect (reader, warning, IDLE_CLOSE_MS * 2));
    assert_int_equal (harness_received_count (reader, "! idle for"), 0);
    //  Nothing but the warnings came of it: no error for the empty line
    assert_int_equal (harness_received_prefix (reader, "!"), 0);
    assert_int_equal (harness_read_to_end (reader, IDLE_CLOSE_MS * 2), HARNESS_EOF);
    assert_int_equal (harness_received_exact (reader, "! idle for 4 seconds, disconnecting"), 1);
    assert_int_equal (harness_received_exact (reader, warning), 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_idle, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_slowloris, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_silent_connection, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_idle_warning_empty_line, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    41_metrics_limits.c - the limits' counters move by exactly what happened

    Each limit a client can run into has a counter, and each test here
    drives it a known number of times: a connection over --max-clients
    (refused, reason full), over --max-per-ip (per_ip), over
    --connect-rate-per-ip (rate), a bad PROXY header (proxy); a client
    flooding past its burst (lines throttled, one episode); a client
    that sends while its input is held, past --hold-max (held lines
    dropped). On the router, lines said to a room with the SQLite store
    are counted as history writes, one per line, with no write error, and
    a commit-time histogram that promtool accepts.

    A served value is a copy published up to a tick ago, so each check
    waits for the counter to reach its value, then asserts the others in
    a snapshot taken after it.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMITS_WAIT_MS      10000       //  a snapshot shows the event, well within
#define LIMITS_TEXT         256
#define LIMITS_REFUSED      "zchat_gateway_connections_refused_total"
#define LIMITS_FULL         "! server full, try again later"
#define LIMITS_TOO_MANY     "! too many connections from your address"
#define LIMITS_BAD_PROXY    "! bad PROXY protocol header"
#define LIMITS_BURST        3           //  --rate-burst
#define LIMITS_OVER         3           //  lines past the burst, each waits for a token
#define LIMITS_SLOW         "! slow down"
#define LIMITS_HOLD_MAX     1000        //  --hold-max of the hold test
#define LIMITS_MAX_LINE     "200"       //  its --max-line (--hold-max is at least this + 2)
#define LIMITS_HELD_SIZE    100         //  bytes per held line, CRLF included
#define LIMITS_HELD_LINES   50          //  lines sent while held: 10 kept, 40 dropped
#define LIMITS_SAID         25          //  lines said with the SQLite store
#define LIMITS_PATH_MAX     512

//  The refused counter of reason on gateway, waited for to reach value.
static int64_t
s_refused (harness_proc_t *gateway, const char *reason, int64_t value)
{
    char series [LIMITS_TEXT];
    snprintf (series, sizeof series, LIMITS_REFUSED "{reason=\"%s\"}", reason);
    return harness_wait_metric (gateway, series, value, LIMITS_WAIT_MS);
}

//  Every refused reason of the snapshot body except the one that moved is 0.
static void
s_assert_only_refused (harness_proc_t *gateway, const char *moved)
{
    static const char *reasons [] = { "full", "busy", "closing", "per_ip", "rate", "proxy" };
    char *body = harness_scrape (gateway);
    assert_non_null (body);
    for (size_t index = 0; index < sizeof reasons / sizeof reasons [0]; index++) {
        char series [LIMITS_TEXT];
        snprintf (series, sizeof series, LIMITS_REFUSED "{reason=\"%s\"}", reasons [index]);
        assert_int_equal (harness_metric (body, series), strcmp (reasons [index], moved) == 0? 1: 0);
    }
    free (body);
}

//  A second client on a gateway that takes one: its refusal line, then
//  one count of reason.
static void
s_second_refused (harness_t *harness, const char **flags, const char *notice,
                  const char *reason)
{
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    harness_client_t *bob = harness_connect (harness, gateway);
    assert_non_null (bob);
    assert_non_null (harness_expect (bob, notice, LIMITS_WAIT_MS));
    assert_int_equal (s_refused (gateway, reason, 1), 1);
    s_assert_only_refused (gateway, reason);
}

static void
test_refused_full (void **state)
{
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--max-clients", "1", NULL };
    s_second_refused (*state, flags, LIMITS_FULL, "full");
}

static void
test_refused_per_ip (void **state)
{
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--admission-exempt", "",
                             "--max-per-ip", "1", "--connect-rate-per-ip", "0", NULL };
    s_second_refused (*state, flags, LIMITS_TOO_MANY, "per_ip");
}

static void
test_refused_rate (void **state)
{
    //  One new connection per minute from an address: the second is too fast
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--admission-exempt", "",
                             "--max-per-ip", "0", "--connect-rate-per-ip", "1/60", NULL };
    s_second_refused (*state, flags, LIMITS_TOO_MANY, "rate");
}

static void
test_refused_proxy (void **state)
{
    harness_t *harness = *state;
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--proxy-protocol",
                             "--trusted-proxy", "127.0.0.1/32", NULL };
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, flags);
    assert_non_null (router);
    //  A plain client on a PROXY-only port: its first bytes are no header
    harness_client_t *plain = harness_connect (harness, gateway);
    assert_non_null (plain);
    assert_int_equal (harness_send (plain, "hello, is this zchat?"), 0);
    assert_non_null (harness_expect (plain, LIMITS_BAD_PROXY, LIMITS_WAIT_MS));
    assert_int_equal (s_refused (gateway, "proxy", 1), 1);
    s_assert_only_refused (gateway, "proxy");
}

//  alice sends the burst and LIMITS_OVER lines more in one write: each
//  of those waits for its token (LIMITS_OVER lines throttled), all in
//  one episode (one notice, one count), and bob gets every line.
static void
test_flood_throttles (void **state)
{
    harness_t *harness = *state;
    //  2 lines/s: a token is 500 ms away, so a late timer cannot hand
    //  the next line one it did not wait for
    char burst [LIMITS_TEXT];
    snprintf (burst, sizeof burst, "%d", LIMITS_BURST);
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--rate-lines", "2",
                             "--rate-burst", burst, NULL };
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    char lines [LIMITS_TEXT * 2] = "";
    for (int line = 1; line <= LIMITS_BURST + LIMITS_OVER; line++)
        snprintf (lines + strlen (lines), sizeof lines - strlen (lines), "flood %d\r\n", line);
    assert_int_equal (harness_send_raw (alice, lines, strlen (lines)), 0);
    for (int line = 1; line <= LIMITS_BURST + LIMITS_OVER; line++) {
        char wanted [LIMITS_TEXT];
        snprintf (wanted, sizeof wanted, "[general] %s: flood %d", harness_client_nick (alice),
                  line);
        assert_non_null (harness_expect (bob, wanted, LIMITS_WAIT_MS));
    }
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lines_received_total",
                                           LIMITS_BURST + LIMITS_OVER, LIMITS_WAIT_MS),
                      LIMITS_BURST + LIMITS_OVER);
    char *body = harness_scrape (gateway);
    assert_non_null (body);
    assert_int_equal (harness_metric (body, "zchat_gateway_lines_throttled_total"), LIMITS_OVER);
    assert_int_equal (harness_metric (body, "zchat_gateway_flood_throttles_total"), 1);
    assert_int_equal (harness_metric (body, "zchat_gateway_held_lines_dropped_total"), 0);
    free (body);
    assert_int_equal (harness_received_count (alice, LIMITS_SLOW), 1);
}

//  alice's /join is in flight (the router is stopped, so it stays so)
//  and her input is held: of LIMITS_HELD_LINES lines, what fits in
//  --hold-max is kept, the rest dropped and counted, one per line.
static void
test_held_lines_dropped (void **state)
{
    harness_t *harness = *state;
    char hold_max [LIMITS_TEXT];
    snprintf (hold_max, sizeof hold_max, "%d", LIMITS_HOLD_MAX);
    //  Flood control off: with it, a held client is not read past --hold-max at all
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--rate-lines", "0",
                             "--max-line", LIMITS_MAX_LINE, "--hold-max", hold_max, NULL };
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    harness_proc_signal (router, SIGSTOP);
    assert_int_equal (harness_send (alice, "/join held"), 0);
    //  The gateway has read the /join (and so holds what follows)
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lines_received_total", 1,
                                           LIMITS_WAIT_MS), 1);
    char *lines = malloc (LIMITS_HELD_LINES * LIMITS_HELD_SIZE + 1);
    assert_non_null (lines);
    for (int line = 0; line < LIMITS_HELD_LINES; line++)
        snprintf (lines + line * LIMITS_HELD_SIZE, LIMITS_HELD_SIZE + 1, "%0*d\r\n",
                  LIMITS_HELD_SIZE - 2, line);
    assert_int_equal (harness_send_raw (alice, lines, LIMITS_HELD_LINES * LIMITS_HELD_SIZE), 0);
    free (lines);
    int64_t dropped = LIMITS_HELD_LINES - LIMITS_HOLD_MAX / LIMITS_HELD_SIZE;
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_held_lines_dropped_total",
                                           dropped, LIMITS_WAIT_MS), dropped);
    assert_non_null (harness_expect_sub (alice, "! too much input while waiting",
                                         LIMITS_WAIT_MS));
    harness_proc_signal (router, SIGCONT);
    //  The join completes and the kept lines go on; nothing more is dropped
    assert_non_null (harness_expect_sub (alice, " joined #held", LIMITS_WAIT_MS));
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lines_received_total",
                                           1 + LIMITS_HOLD_MAX / LIMITS_HELD_SIZE,
                                           LIMITS_WAIT_MS),
                      1 + LIMITS_HOLD_MAX / LIMITS_HELD_SIZE);
    assert_int_equal (harness_scrape_metric (gateway, "zchat_gateway_held_lines_dropped_total"),
                      dropped);
}

//  Every line said is one history write on the router, and the scrape
//  with the commit histogram filled is still lint-clean.
static void
test_history_writes (void **state)
{
    harness_t *harness = *state;
    char spec [LIMITS_PATH_MAX];
    snprintf (spec, sizeof spec, "sqlite:%s/history.db", harness_dir (harness));
    const char *router_flags [] = { "--metrics-listen", "127.0.0.1:0", "--store", spec, NULL };
    const char *gateway_flags [] = { "--rate-lines", "0", NULL };
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, router_flags, &gateway, 1,
                                                   gateway_flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    for (int line = 1; line <= LIMITS_SAID; line++)
        assert_int_equal (harness_send (alice, "said %d", line), 0);
    //  Joins and renames take seqs but are not history: exactly the lines
    assert_int_equal (harness_wait_metric (router, "zchat_router_history_writes_total",
                                           LIMITS_SAID, LIMITS_WAIT_MS), LIMITS_SAID);
    char *body = harness_scrape (router);
    assert_non_null (body);
    assert_int_equal (harness_metric (body, "zchat_router_history_appends_total"), LIMITS_SAID);
    assert_int_equal (harness_metric (body, "zchat_router_history_write_errors_total"), 0);
    assert_int_equal (harness_metric (body, "zchat_router_history_dropped_total"), 0);
    assert_int_equal (harness_metric (body, "zchat_router_history_records"), LIMITS_SAID);
    int64_t commits = harness_metric (body, "zchat_router_history_commit_seconds_count");
    assert_true (commits >= 1 && commits <= LIMITS_SAID);
    assert_int_equal (harness_metric (body, "zchat_router_history_commit_seconds_bucket"
                                      "{le=\"+Inf\"}"), commits);
    assert_int_equal (harness_promtool (body), 0);
    free (body);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_refused_full, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_refused_per_ip, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_refused_rate, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_refused_proxy, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_flood_throttles, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_held_lines_dropped, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_history_writes, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

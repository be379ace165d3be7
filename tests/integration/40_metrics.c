/*  =========================================================================
    40_metrics.c - /metrics on both tiers: lint-clean, counting right, harmless

    Scrapes of a real router and gateway pass promtool check metrics
    (exit 0: no error, 1, and no lint warning, 3). Known traffic moves the
    counters by exactly what it should: N lines to a room of M members, a
    refused nickname, a lagged reader, an idle close. A served value is a
    copy published up to a tick ago, so each check first waits for a
    snapshot taken after the traffic (a count the test knows reaching its
    value), then asserts the other counts in that same snapshot. The
    health port says not-ready while the router is away and ok again
    after resync; 50 silent connections on each metrics port do not stop
    the chat.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define METRICS_WAIT_MS     10000       //  a snapshot shows the traffic, well within
#define METRICS_LINES       5           //  N lines...
#define METRICS_MEMBERS     3           //  ...to a room of M members
#define METRICS_FLOOD       40000       //  lines flooded at a reader that stopped: 8 MB,
#define METRICS_FLOOD_SIZE  200         //  more than loopback's kernel buffers (tcp_rmem 6 MB)
#define METRICS_LAG_JOINS   3           //  JOINED lines late gets: its own, the sender's,
                                        //  and the sender gets its own
#define METRICS_LAG_MS      60000       //  the flood goes by, generous under sanitizers
#define METRICS_POLL_MS     100
#define METRICS_SILENT      50          //  silent connections on each metrics port
#define METRICS_TEXT        256
#define METRICS_LAGGED      "! lagged: "
#define METRICS_NOT_READY   "not-ready "
#define METRICS_READY       "ok "

static const char *s_metrics [] = { "--metrics-listen", "127.0.0.1:0", NULL };

//  --- promtool on real scrapes -------------------------------------------

static void
s_assert_lint_clean (harness_proc_t *proc)
{
    char *body = harness_scrape (proc);
    assert_non_null (body);
    assert_non_null (strstr (body, "zchat_build_info{"));
    assert_non_null (strstr (body, "process_start_time_seconds "));
    //  0 only: 1 is an error, 3 a lint warning
    assert_int_equal (harness_promtool (body), 0);
    free (body);
}

static void
test_promtool_both_tiers (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, s_metrics, &gateway, 1, s_metrics);
    assert_non_null (router);
    assert_true (harness_metrics_port (router) > 0);
    assert_true (harness_metrics_port (gateway) > 0);
    //  Some traffic, so that labelled rows and the histogram hold values
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_marker (alice, "general", &bob, 1));
    s_assert_lint_clean (router);
    s_assert_lint_clean (gateway);
}

//  --- counters move by what the traffic did ------------------------------

//  Alice's room of METRICS_MEMBERS members on gateway: alice, bob and
//  carol, each named and in #metrics, each having seen every join. Returns
//  how many lines they sent (each /nick and /join is one).
static int64_t
s_room (harness_t *harness, harness_proc_t *gateway, harness_client_t **members)
{
    static const char *nicks [METRICS_MEMBERS] = { "alice", "bob", "carol" };
    for (size_t index = 0; index < METRICS_MEMBERS; index++) {
        members [index] = harness_login (harness, gateway);
        assert_non_null (members [index]);
        assert_true (harness_set_nick (members [index], nicks [index]));
        assert_true (harness_join (members [index], "metrics"));
    }
    //  The last JOINED reached everyone: every earlier delivery is done
    for (size_t index = 0; index < METRICS_MEMBERS - 1; index++)
        assert_non_null (harness_expect (members [index], "* carol joined #metrics",
                                         METRICS_WAIT_MS));
    return METRICS_MEMBERS * 2;
}

static void
test_counters_move (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, s_metrics, &gateway, 1, s_metrics);
    assert_non_null (router);
    harness_client_t *members [METRICS_MEMBERS];
    int64_t received = s_room (harness, gateway, members);

    //  A line the gateway reads after all of that: the snapshot that
    //  counts it was taken after every join was delivered
    assert_int_equal (harness_send (members [0], "/who"), 0);
    received++;
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lines_received_total",
                                           received, METRICS_WAIT_MS), received);
    char *before = harness_scrape (gateway);
    assert_non_null (before);
    int64_t delivered = harness_metric (before, "zchat_gateway_lines_delivered_total");
    free (before);

    //  N lines from alice: each reaches the M - 1 others
    for (int line = 0; line < METRICS_LINES; line++)
        assert_int_equal (harness_send (members [0], "line %d", line), 0);
    char text [METRICS_TEXT];
    snprintf (text, sizeof text, "[metrics] alice: line %d", METRICS_LINES - 1);
    for (size_t index = 1; index < METRICS_MEMBERS; index++)
        assert_non_null (harness_expect (members [index], text, METRICS_WAIT_MS));
    assert_int_equal (harness_send (members [0], "/who"), 0);
    received += METRICS_LINES + 1;
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lines_received_total",
                                           received, METRICS_WAIT_MS), received);
    char *after = harness_scrape (gateway);
    assert_non_null (after);
    assert_int_equal (harness_metric (after, "zchat_gateway_lines_delivered_total"),
                      delivered + METRICS_LINES * (METRICS_MEMBERS - 1));
    assert_int_equal (harness_metric (after, "zchat_gateway_clients_connected{transport=\"tcp\"}"),
                      METRICS_MEMBERS);
    assert_int_equal (harness_metric (after, "zchat_gateway_connections_accepted_total"),
                      METRICS_MEMBERS);
    assert_int_equal (harness_metric (after, "zchat_gateway_subscribed_rooms"), 1);
    assert_int_equal (harness_metric (after, "zchat_gateway_router_reachable"), 1);
    free (after);

    //  The router: N says, two /who, N lines published
    assert_int_equal (harness_wait_metric (router, "zchat_router_requests_total{verb=\"who\"}",
                                           2, METRICS_WAIT_MS), 2);
    char *routed = harness_scrape (router);
    assert_non_null (routed);
    assert_int_equal (harness_metric (routed, "zchat_router_requests_total{verb=\"say\"}"),
                      METRICS_LINES);
    assert_int_equal (harness_metric (routed, "zchat_router_lines_published_total"),
                      METRICS_LINES);
    assert_int_equal (harness_metric (routed, "zchat_router_requests_total{verb=\"login\"}"),
                      METRICS_MEMBERS);
    assert_int_equal (harness_metric (routed, "zchat_router_sessions"), METRICS_MEMBERS);
    assert_int_equal (harness_metric (routed, "zchat_router_rooms"), 1);
    assert_int_equal (harness_metric (routed, "zchat_router_gateways"), 1);
    assert_int_equal (harness_metric (routed, "zchat_router_refused_requests_total"
                                      "{reason=\"nick_taken\"}"), 0);
    free (routed);

    //  A refused nickname
    assert_int_equal (harness_send (members [1], "/nick alice"), 0);
    assert_non_null (harness_expect_sub (members [1], "nickname taken", METRICS_WAIT_MS));
    assert_int_equal (harness_wait_metric (router, "zchat_router_refused_requests_total"
                                           "{reason=\"nick_taken\"}", 1, METRICS_WAIT_MS), 1);
}

static const char *s_lag_flags [] = {
    "--metrics-listen", "127.0.0.1:0", "--outbuf-max", "65536", "--stuck-timeout", "0",
    "--rate-lines", "0", NULL
};

//  Skipped lines the lag notices in client's lines add up to; *notices_p
//  gets how many there were.
static int64_t
s_skipped_told (harness_client_t *client, int64_t *notices_p)
{
    int64_t skipped = 0;
    *notices_p = 0;
    for (size_t index = 0; index < harness_line_count (client); index++) {
        const char *line = harness_line_at (client, index);
        if (strncmp (line, METRICS_LAGGED, strlen (METRICS_LAGGED)) == 0) {
            skipped += strtoll (line + strlen (METRICS_LAGGED), NULL, 10);
            (*notices_p)++;
        }
    }
    return skipped;
}

static void
test_lagged_reader (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, s_lag_flags);
    assert_non_null (router);
    harness_client_t *late = harness_login (harness, gateway);
    harness_client_t *sender = harness_login (harness, gateway);
    assert_non_null (late);
    assert_non_null (sender);
    //  late reads nothing while the flood goes by: more than the kernel
    //  buffers of a loopback connection hold, so its queue fills
    char *flood = (char *) malloc ((size_t) METRICS_FLOOD * METRICS_FLOOD_SIZE);
    assert_non_null (flood);
    for (int index = 0; index < METRICS_FLOOD; index++) {
        char *line = flood + (size_t) index * METRICS_FLOOD_SIZE;
        int used = snprintf (line, METRICS_FLOOD_SIZE, "flood %06d ", index);
        memset (line + used, 'f', METRICS_FLOOD_SIZE - 2 - (size_t) used);
        memcpy (line + METRICS_FLOOD_SIZE - 2, "\r\n", 2);
    }
    assert_int_equal (harness_send_raw (sender, flood, (size_t) METRICS_FLOOD * METRICS_FLOOD_SIZE),
                      0);
    free (flood);
    //  Wait until the gateway has queued or skipped every flood line for
    //  late (the only reader: a sender does not get its own lines), after
    //  the three joins it saw: so nothing of the flood is left to come
    int64_t handled = 0;
    int64_t deadline = harness_now () + METRICS_LAG_MS;
    while (handled < METRICS_FLOOD + METRICS_LAG_JOINS && harness_now () < deadline) {
        poll (NULL, 0, METRICS_POLL_MS);
        char *body = harness_scrape (gateway);
        assert_non_null (body);
        handled = harness_metric (body, "zchat_gateway_lines_delivered_total")
                + harness_metric (body, "zchat_gateway_lines_skipped_total");
        free (body);
    }
    assert_int_equal (handled, METRICS_FLOOD + METRICS_LAG_JOINS);
    //  Now late reads: its queue drains and the lag notice follows
    deadline = harness_now () + METRICS_LAG_MS;
    int64_t notices = 0;
    while (harness_now () < deadline && s_skipped_told (late, &notices) == 0)
        assert_true (harness_read_some (late, METRICS_POLL_MS) >= 0);
    assert_true (notices >= 1);
    //  The notice came when late's queue was empty: a marker gets through
    assert_true (harness_marker (sender, "general", &late, 1));
    //  The snapshot with as many notices as late was told of has the
    //  skipped count those notices add up to
    int64_t skipped = s_skipped_told (late, &notices);
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_lagged_notices_total",
                                           notices, METRICS_WAIT_MS), notices);
    char *body = harness_scrape (gateway);
    assert_non_null (body);
    assert_int_equal (harness_metric (body, "zchat_gateway_lagged_notices_total"), notices);
    assert_int_equal (harness_metric (body, "zchat_gateway_lines_skipped_total"), skipped);
    free (body);
    fprintf (stderr, "metrics: lagged reader told of %" PRId64 " skipped in %" PRId64
             " notice(s)\n", skipped, notices);
}

static const char *s_idle_flags [] = {
    "--metrics-listen", "127.0.0.1:0", "--idle-timeout", "1", "--idle-warning", "0", NULL
};

static void
test_idle_close (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, s_idle_flags);
    assert_non_null (router);
    harness_client_t *dave = harness_login (harness, gateway);
    assert_non_null (dave);
    assert_int_equal (harness_read_to_end (dave, METRICS_WAIT_MS), HARNESS_EOF);
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_clients_closed_total"
                                           "{reason=\"idle\"}", 1, METRICS_WAIT_MS), 1);
    char *body = harness_scrape (gateway);
    assert_non_null (body);
    assert_int_equal (harness_metric (body, "zchat_gateway_clients_closed_total"
                                      "{reason=\"quit\"}"), 0);
    assert_int_equal (harness_metric (body, "zchat_gateway_clients_connected{transport=\"tcp\"}"),
                      0);
    //  Everything queued for dave was written or dropped with him
    assert_int_equal (harness_metric (body, "zchat_gateway_output_queued_bytes"), 0);
    free (body);
}

//  --- health: alive and ready -------------------------------------------

//  A TCP connection to 127.0.0.1:port, or -1.
static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0)
        return fd;
    close (fd);
    return -1;
}

//  The health port's answer line, "" if none.
static void
s_health (int port, char *answer, size_t size)
{
    answer [0] = 0;
    int fd = s_connect (port);
    if (fd == -1)
        return;
    ssize_t got = read (fd, answer, size - 1);
    answer [got > 0? got: 0] = 0;
    close (fd);
}

//  Poll the health port until its answer starts with prefix.
static bool
s_wait_health (int port, const char *prefix)
{
    char answer [METRICS_TEXT];
    int64_t deadline = harness_now () + METRICS_WAIT_MS;
    s_health (port, answer, sizeof answer);
    while (strncmp (answer, prefix, strlen (prefix)) != 0 && harness_now () < deadline) {
        poll (NULL, 0, METRICS_POLL_MS);
        s_health (port, answer, sizeof answer);
    }
    if (strncmp (answer, prefix, strlen (prefix)) != 0)
        fprintf (stderr, "metrics: health answered '%s', waited for '%s'\n", answer, prefix);
    return strncmp (answer, prefix, strlen (prefix)) == 0;
}

static void
test_health_ready (void **state)
{
    harness_t *harness = *state;
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    harness_proc_t *router = harness_router_start_at (harness, endpoints.ingress,
        endpoints.publish, endpoints.control, NULL);
    assert_non_null (router);
    char ready_port [METRICS_TEXT], alive_port [METRICS_TEXT];
    int ready = harness_fixed_port ();
    int alive = harness_fixed_port ();
    snprintf (ready_port, sizeof ready_port, "127.0.0.1:%d", ready);
    snprintf (alive_port, sizeof alive_port, "127.0.0.1:%d", alive);
    const char *ready_flags [] = {
        "--health-listen", ready_port, "--router-timeout", "1", "--metrics-listen",
        "127.0.0.1:0", NULL
    };
    const char *alive_flags [] = {
        "--health-listen", alive_port, "--router-timeout", "1", "--health-ignore-router", NULL
    };
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", ready_flags);
    assert_non_null (gateway);
    assert_non_null (harness_gateway_start (harness, router, "gw2", alive_flags));
    assert_true (s_wait_health (ready, METRICS_READY));
    assert_true (s_wait_health (alive, METRICS_READY));

    //  Router gone: alive, not ready (the other keeps the old answer)
    harness_proc_kill (router);
    assert_true (s_wait_health (ready, METRICS_NOT_READY));
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_router_reachable", 0,
                                           METRICS_WAIT_MS), 0);
    assert_true (s_wait_health (alive, METRICS_READY));

    //  Back, and resynced: ready again
    router = harness_router_start_at (harness, endpoints.ingress, endpoints.publish,
                                      endpoints.control, NULL);
    assert_non_null (router);
    assert_true (s_wait_health (ready, METRICS_READY));
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_router_reachable", 1,
                                           METRICS_WAIT_MS), 1);
    assert_true (harness_scrape_metric (gateway, "zchat_gateway_resyncs_total") >= 1);
}

//  --- silent scrapers ----------------------------------------------------

static void
test_silent_scrapers (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, s_metrics, &gateway, 1, s_metrics);
    assert_non_null (router);
    int silent [2 * METRICS_SILENT];
    for (int index = 0; index < METRICS_SILENT; index++) {
        silent [index] = s_connect (harness_metrics_port (gateway));
        silent [METRICS_SILENT + index] = s_connect (harness_metrics_port (router));
        assert_true (silent [index] >= 0 && silent [METRICS_SILENT + index] >= 0);
    }
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    for (int round = 0; round < METRICS_LINES; round++) {
        assert_true (harness_marker (alice, "general", &bob, 1));
        assert_true (harness_marker (bob, "general", &alice, 1));
    }
    for (int index = 0; index < 2 * METRICS_SILENT; index++)
        close (silent [index]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_promtool_both_tiers, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_counters_move, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_lagged_reader, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_idle_close, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_health_ready, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_silent_scrapers, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    13_router_away_churn.c - connection churn while the router is away

    SIGKILL the router, then open and close many connections to a gateway
    with a small --uplink-hwm and --queue-max. Each new client's LOGIN
    waits in the gateway's queue, and its input is held for the login, so
    its leaving is not seen either: once --queue-max requests wait, new
    clients are refused ("! server busy, try again later"), and the
    gateway's memory stays bounded (it grew ~550 bytes per churned connection: 10 000 took
    it from 7.2 to 12.6 MB). Then the router comes back on the same
    endpoints: the client that stayed is told, the held clients log in and
    leave, and a newcomer logs in and chats with the one who stayed.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHURN_CONNECTIONS   10000   //  opened and closed while the router is away
#define CHURN_BATCH         100     //  open this many, then close them
#define CHURN_RSS_GROWTH_KB (2 * 1024) //  unbounded: ~570 B each, 5.5 MB
#define CHURN_RSS_GROWTH_SANITIZED_KB (16 * 1024) //  ASan quarantine, shadow
#define CHURN_SETTLE_MS     200     //  RSS unchanged this long: the gateway caught up
#define CHURN_SETTLE_MAX_MS 10000
#define CHURN_SAMPLE_MS     50
#define CHURN_LOST_MS       3000    //  router timeout 1 s, plus slack
#define CHURN_RESYNC_MS     8000    //  restart and resync
#define CHURN_TEXT_SIZE     256
#define CHURN_LOST_NOTICE   "! lost contact with the server; reconnecting..."
#define CHURN_BACK_NOTICE   "* reconnected to the server"
#define CHURN_BUSY_NOTICE   "! server busy, try again later"
#define CHURN_CATCH_UP_MS   15000   //  the held clients log in and out

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", "--uplink-hwm", "100",
    "--queue-max", "100", NULL
};

//  Open count TCP connections to port and close them all.
static void
s_churn_batch (int port, int count)
{
    int fds [CHURN_BATCH];
    assert_true (count <= CHURN_BATCH);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    for (int index = 0; index < count; index++) {
        fds [index] = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true (fds [index] >= 0);
        assert_int_equal (connect (fds [index], (struct sockaddr *) &address,
                                   sizeof address), 0);
    }
    for (int index = 0; index < count; index++)
        close (fds [index]);
}

//  RSS once it has stopped changing (the gateway has handled the churn).
static long
s_settled_rss (harness_proc_t *gateway)
{
    long rss = harness_proc_rss_kb (gateway);
    int64_t stable_since = harness_now ();
    int64_t deadline = harness_now () + CHURN_SETTLE_MAX_MS;
    while (harness_now () - stable_since < CHURN_SETTLE_MS && harness_now () < deadline) {
        poll (NULL, 0, CHURN_SAMPLE_MS);
        long now_rss = harness_proc_rss_kb (gateway);
        if (now_rss != rss) {
            rss = now_rss;
            stable_since = harness_now ();
        }
    }
    return rss;
}

static void
test_churn_while_router_away (void **state)
{
    harness_t *harness = *state;
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    const char *ingress = endpoints.ingress, *publish = endpoints.publish;
    const char *control = endpoints.control;
    harness_proc_t *router = harness_router_start_at (harness, ingress, publish, control,
                                                      s_router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_gateway_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_true (harness_set_nick (alice, "alice"));

    harness_proc_kill (router);
    assert_non_null (harness_expect (alice, CHURN_LOST_NOTICE, CHURN_LOST_MS));
    //  Warm up (allocator, slabs), then measure the churn proper
    s_churn_batch (harness_gateway_port (gateway), CHURN_BATCH);
    long rss_before = s_settled_rss (gateway);
    assert_true (rss_before > 0);
    for (int done = 0; done < CHURN_CONNECTIONS; done += CHURN_BATCH)
        s_churn_batch (harness_gateway_port (gateway), CHURN_BATCH);
    long rss_after = s_settled_rss (gateway);
    fprintf (stderr, "churn: %d connections, gateway rss before=%ld after=%ld KiB%s\n",
             CHURN_CONNECTIONS, rss_before, rss_after,
             harness_proc_sanitized (gateway) ? " (sanitized)" : "");
    long bound = harness_proc_sanitized (gateway)
               ? CHURN_RSS_GROWTH_SANITIZED_KB: CHURN_RSS_GROWTH_KB;
    assert_true (rss_after - rss_before < bound);
    //  A newcomer now is told why it is turned away, and closed
    harness_client_t *late = harness_connect (harness, gateway);
    assert_non_null (late);
    assert_non_null (harness_expect (late, CHURN_BUSY_NOTICE, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_read_to_end (late, HARNESS_TIMEOUT_MS), HARNESS_EOF);

    //  The router comes back: alice is told, a newcomer logs in, they chat
    router = harness_router_start_at (harness, ingress, publish, control, s_router_flags);
    assert_non_null (router);
    assert_non_null (harness_expect (alice, CHURN_BACK_NOTICE, CHURN_RESYNC_MS));
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (bob);
    assert_true (harness_set_nick (bob, "bob"));
    assert_int_equal (harness_send (bob, "hello after the churn"), 0);
    assert_non_null (harness_expect (alice, "[general] bob: hello after the churn",
                                     HARNESS_TIMEOUT_MS));
    //  Only the two of them are logged in: no churned session survived
    assert_true (harness_wait_status (harness, router, "sessions", 2, CHURN_CATCH_UP_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_churn_while_router_away,
                                         harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

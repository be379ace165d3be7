/*  =========================================================================
    50_curve_tiers.c - CURVE between the tiers: only allowed gateways get in

    With --curve-secret the router's ingress and publish sockets take CURVE
    clients whose key is in --curve-allow, and nobody else. Gateways with
    their keys chat across the router, and through a router restart (they
    resync). A gateway whose key is not allowed is never welcomed, however
    often it retries, and the router logs it once and counts every
    refusal; dropping its key into the directory lets it in with no
    signal, and taking a key out keeps it out from the next handshake.
    Plain (non-CURVE) SUB and DEALER sockets, and a CURVE SUB with an
    unknown key, fail the handshake (their socket monitors say so and
    never report success), so nothing reaches them; an allowed key on the
    same kind of socket is welcomed, so the test can see a success.
    =========================================================================
*/
#include "harness.h"
#include "wire.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURVE_RESYNC_MS     8000    //  router timeout 1 s, restart, resync
#define CURVE_LOST_NOTICE   "! lost contact with the server; reconnecting..."
#define CURVE_BACK_NOTICE   "* reconnected to the server"
#define CURVE_RETRIES       4       //  refusals counted before we look at the log
#define CURVE_REFUSED       "zap: refused domain=gateway "
#define CURVE_METRIC        "zchat_router_auth_refused_total{domain=\"gateway\"}"
#define CURVE_ROGUE_ID      "rogue-1"
#define CURVE_HANDSHAKES    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL \
                             | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                             | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", "--drain-timeout", "3",
    "--metrics-listen", "127.0.0.1:0", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  Gateways with allowed keys chat across the router, STATUS needs the
//  operator's key, and a router restart (same keys) is resynced.
static void
test_curve_chat_and_restart (void **state)
{
    harness_t *harness = *state;
    harness_flags_t router_keys, keys [2];
    assert_true (harness_curve_router (harness, &router_keys));
    assert_true (harness_curve_gateway (harness, "gw1", true, &keys [0]));
    assert_true (harness_curve_gateway (harness, "gw2", true, &keys [1]));
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    const char *router_args [HARNESS_FLAGS_MAX], *gateway_args [2][HARNESS_FLAGS_MAX];
    harness_join_flags (router_args, s_router_flags, router_keys.argv);
    harness_proc_t *router = harness_router_start_at (harness, endpoints.ingress,
                                                      endpoints.publish, endpoints.control,
                                                      router_args);
    assert_non_null (router);
    assert_int_equal (harness_proc_log_count (router, "curve=on"), 1);
    harness_proc_t *gateways [2];
    for (size_t index = 0; index < 2; index++) {
        gateways [index] = harness_gateway_start (harness, router, index? "gw2": "gw1",
            harness_join_flags (gateway_args [index], s_gateway_flags, keys [index].argv));
        assert_non_null (gateways [index]);
        assert_int_equal (harness_proc_log_count (gateways [index], "curve off"), 0);
    }
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_set_nick (bob, "bob"));
    assert_int_equal (harness_send (alice, "sealed hello"), 0);
    assert_non_null (harness_expect (bob, "[general] alice: sealed hello", HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 2, HARNESS_TIMEOUT_MS));

    harness_proc_kill (router);
    assert_non_null (harness_expect (alice, CURVE_LOST_NOTICE, CURVE_RESYNC_MS));
    router = harness_router_start_at (harness, endpoints.ingress, endpoints.publish,
                                      endpoints.control, router_args);
    assert_non_null (router);
    assert_non_null (harness_expect (alice, CURVE_BACK_NOTICE, CURVE_RESYNC_MS));
    assert_non_null (harness_expect (bob, CURVE_BACK_NOTICE, CURVE_RESYNC_MS));
    assert_true (harness_wait_status (harness, router, "sessions", 2, CURVE_RESYNC_MS));
    assert_int_equal (harness_send (bob, "still sealed"), 0);
    assert_non_null (harness_expect (alice, "[general] bob: still sealed", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (router, "zap: refused"), 0);
}

//  A gateway with an unknown key: never welcomed, logged once however
//  often it retries, let in when its key is dropped into the directory;
//  a key taken out keeps its gateway out from its next connection.
static void
test_unknown_gateway (void **state)
{
    harness_t *harness = *state;
    harness_flags_t router_keys, good, rogue;
    assert_true (harness_curve_router (harness, &router_keys));
    assert_true (harness_curve_gateway (harness, "gw1", true, &good));
    assert_true (harness_curve_gateway (harness, "rogue", false, &rogue));
    const char *router_args [HARNESS_FLAGS_MAX], *good_args [HARNESS_FLAGS_MAX];
    const char *rogue_args [HARNESS_FLAGS_MAX];
    harness_proc_t *router = harness_router_start (harness,
        harness_join_flags (router_args, s_router_flags, router_keys.argv));
    assert_non_null (router);
    harness_proc_t *gw1 = harness_gateway_start (harness, router, "gw1",
        harness_join_flags (good_args, s_gateway_flags, good.argv));
    harness_proc_t *intruder = harness_gateway_start (harness, router, "rogue",
        harness_join_flags (rogue_args, s_gateway_flags, rogue.argv));
    assert_non_null (gw1);
    assert_non_null (intruder);
    assert_true (harness_proc_wait_log (gw1, "gateway: welcomed", HARNESS_TIMEOUT_MS));

    //  Several refusals (its DEALER and SUB retry), one log line
    assert_true (harness_wait_metric_min (router, CURVE_METRIC, CURVE_RETRIES,
                                          HARNESS_TIMEOUT_MS) >= CURVE_RETRIES);
    assert_int_equal (harness_proc_log_count (router, CURVE_REFUSED), 1);
    assert_int_equal (harness_proc_log_count (intruder, "gateway: welcomed"), 0);
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));
    char *body = harness_ctl (harness, router, "status", NULL);
    assert_non_null (body);
    assert_null (strstr (body, harness_gateway_id (intruder)));
    free (body);

    //  Allowed at run time: no signal, the next retry gets in
    assert_true (harness_curve_allow (harness, "rogue", HARNESS_CURVE_GATEWAYS, true));
    assert_true (harness_proc_wait_log (intruder, "gateway: welcomed", HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 2, HARNESS_TIMEOUT_MS));

    //  Taken out: gw1's next connection (a restart) is refused
    assert_true (harness_curve_allow (harness, "gw1", HARNESS_CURVE_GATEWAYS, false));
    harness_proc_kill (gw1);
    gw1 = harness_gateway_start (harness, router, "gw1", good_args);
    assert_non_null (gw1);
    assert_true (harness_proc_wait_log_count (router, CURVE_REFUSED, 2, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS * 2));
    assert_int_equal (harness_proc_log_count (gw1, "gateway: welcomed"), 0);
}

//  A monitor on sock's handshakes: a PAIR reading its events. Call
//  before sock connects.
static zsock_t *
s_monitor (zsock_t *sock, const char *name)
{
    char endpoint [HARNESS_ENDPOINT_MAX];
    snprintf (endpoint, sizeof endpoint, "inproc://monitor-%s", name);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (sock), endpoint, CURVE_HANDSHAKES), 0);
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    assert_non_null (monitor);
    assert_int_equal (zsock_connect (monitor, "%s", endpoint), 0);
    return monitor;
}

//  The first handshake event on monitor (0 at the deadline).
static int
s_handshake (zsock_t *monitor)
{
    zsock_set_rcvtimeo (monitor, HARNESS_TIMEOUT_MS);
    zmsg_t *event = zmsg_recv (monitor);
    if (!event)
        return 0;
    zframe_t *head = zmsg_first (event);
    uint16_t id = 0;
    if (head && zframe_size (head) >= sizeof id)
        memcpy (&id, zframe_data (head), sizeof id);
    zmsg_destroy (&event);
    return id;
}

//  A DEALER speaking as a gateway (HELLO), with keys or plain.
static zsock_t *
s_dealer (harness_proc_t *router, zcert_t *cert, const char *server_key, zsock_t **monitor_p)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_linger (dealer, 0);
    zsock_set_identity (dealer, CURVE_ROGUE_ID);
    if (cert) {
        zcert_apply (cert, dealer);
        zsock_set_curve_serverkey (dealer, server_key);
    }
    *monitor_p = s_monitor (dealer, cert? "dealer-curve": "dealer-plain");
    assert_int_equal (zsock_connect (dealer, "%s", harness_router_ingress (router)), 0);
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (hello, CURVE_ROGUE_ID);
    wire_msg_set_text (hello, "rogue");
    assert_int_equal (wire_msg_write (hello, zsock_resolve (dealer), NULL, ZMQ_DONTWAIT), 0);
    wire_msg_destroy (&hello);
    return dealer;
}

//  Plain peers and unknown keys fail the handshake: nothing can reach them.
static void
test_plain_peers (void **state)
{
    harness_t *harness = *state;
    harness_flags_t router_keys, good;
    assert_true (harness_curve_router (harness, &router_keys));
    assert_true (harness_curve_gateway (harness, "gw1", true, &good));
    assert_true (harness_keygen (harness, "stranger") == 0);
    const char *router_args [HARNESS_FLAGS_MAX], *good_args [HARNESS_FLAGS_MAX];
    harness_proc_t *router = harness_router_start (harness,
        harness_join_flags (router_args, s_router_flags, router_keys.argv));
    assert_non_null (router);
    harness_proc_t *gw1 = harness_gateway_start (harness, router, "gw1",
        harness_join_flags (good_args, s_gateway_flags, good.argv));
    assert_non_null (gw1);
    harness_client_t *alice = harness_login (harness, gw1);
    harness_client_t *bob = harness_login (harness, gw1);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_set_nick (alice, "alice"));

    char path [HARNESS_ENDPOINT_MAX * 4];
    snprintf (path, sizeof path, "%s/router", harness_dir (harness));
    zcert_t *router_public = zcert_load (path);
    assert_non_null (router_public);
    const char *server_key = zcert_public_txt (router_public);
    snprintf (path, sizeof path, "%s/stranger_secret", harness_dir (harness));
    zcert_t *stranger = zcert_load (path);
    snprintf (path, sizeof path, "%s/gw1_secret", harness_dir (harness));
    zcert_t *allowed = zcert_load (path);
    assert_non_null (stranger);
    assert_non_null (allowed);

    //  A plain SUB on everything, and one with CURVE but a key not allowed
    zsock_t *plain_sub = zsock_new_sub (NULL, "");
    zsock_t *curve_sub = zsock_new_sub (NULL, "");
    assert_non_null (plain_sub);
    assert_non_null (curve_sub);
    zcert_apply (stranger, curve_sub);
    zsock_set_curve_serverkey (curve_sub, server_key);
    zsock_t *plain_monitor = s_monitor (plain_sub, "sub-plain");
    zsock_t *curve_monitor = s_monitor (curve_sub, "sub-curve");
    assert_int_equal (zsock_connect (plain_sub, "%s", harness_router_publish (router)), 0);
    assert_int_equal (zsock_connect (curve_sub, "%s", harness_router_publish (router)), 0);
    //  A plain DEALER saying HELLO
    zsock_t *dealer_monitor;
    zsock_t *dealer = s_dealer (router, NULL, NULL, &dealer_monitor);

    int plain_event = s_handshake (plain_monitor);
    int curve_event = s_handshake (curve_monitor);
    int dealer_event = s_handshake (dealer_monitor);
    assert_true (plain_event & (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL));
    assert_int_equal (curve_event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_true (dealer_event & (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL));

    //  Room traffic and beats flow meanwhile, and none of it arrives
    assert_int_equal (harness_send (alice, "not for spies"), 0);
    assert_non_null (harness_expect (bob, "[general] alice: not for spies", HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));
    zsock_t *sockets [] = { plain_sub, curve_sub, dealer };
    for (size_t index = 0; index < sizeof sockets / sizeof sockets [0]; index++) {
        zmq_pollitem_t item = { zsock_resolve (sockets [index]), 0, ZMQ_POLLIN, 0 };
        assert_int_equal (zmq_poll (&item, 1, 0), 0);
    }
    //  Their retries never succeed either
    zsock_t *monitors [] = { plain_monitor, curve_monitor, dealer_monitor };
    for (size_t index = 0; index < sizeof monitors / sizeof monitors [0]; index++) {
        int event;
        zsock_set_rcvtimeo (monitors [index], 0);
        while ((event = s_handshake (monitors [index])))
            assert_int_not_equal (event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    }

    //  The same DEALER with an allowed key is welcomed: the method can
    //  see a success
    zsock_t *good_monitor;
    zsock_t *good_dealer = s_dealer (router, allowed, server_key, &good_monitor);
    assert_int_equal (s_handshake (good_monitor), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    zsock_set_rcvtimeo (good_dealer, HARNESS_TIMEOUT_MS);
    wire_msg_t *reply = wire_msg_read (zsock_resolve (good_dealer), NULL, 0);
    assert_non_null (reply);
    assert_int_equal (reply->id, WIRE_WELCOME);
    wire_msg_destroy (&reply);

    zsock_t *all [] = { plain_sub, curve_sub, dealer, good_dealer, plain_monitor,
                        curve_monitor, dealer_monitor, good_monitor };
    for (size_t index = 0; index < sizeof all / sizeof all [0]; index++)
        zsock_destroy (&all [index]);
    zcert_destroy (&router_public);
    zcert_destroy (&stranger);
    zcert_destroy (&allowed);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_curve_chat_and_restart, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_gateway, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_plain_peers, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    11_resync_lost_hello.c - a router that dies before answering HELLO

    The router dies; a new one comes up, publishes BEAT with its epoch, and
    dies too, after the gateway's HELLO reached it but before it answered
    (played here by a stand-in bound on the router's endpoints: it beats,
    takes the HELLO and vanishes). A third router comes up on the same
    endpoints. The gateway must say HELLO again (its first went to a router
    that is gone), resync, and its clients chat again: their input must not
    stay held forever.
    =========================================================================
*/
#include "harness.h"
#include "wire.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOST_LINE           128
#define LOST_EPOCH          4242    //  the stand-in router's epoch
#define LOST_BEAT_MS        100     //  the stand-in beats this often
#define LOST_HELLO_MS       5000    //  the gateway's HELLO reaches the stand-in
#define LOST_RESYNC_MS      10000   //  router timeout 1 s, restart, resync
#define LOST_NOTICE         "! lost contact with the server; reconnecting..."
#define LOST_BIND_ATTEMPTS  5       //  binds of the stand-in before giving up
#define LOST_BIND_RETRY_MS  200

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  Bind sock to endpoint, trying again for a while if it is still taken.
static bool
s_bind (zsock_t *sock, const char *endpoint)
{
    for (int attempt = 0; attempt < LOST_BIND_ATTEMPTS; attempt++) {
        if (zsock_bind (sock, "%s", endpoint) != -1)
            return true;
        zclock_sleep (LOST_BIND_RETRY_MS);
    }
    return false;
}

//  Bind a stand-in router on the endpoints, beat with a new epoch until
//  the gateway's HELLO arrives, swallow it and go away. True if a HELLO
//  came.
static bool
s_router_that_dies (const char *ingress, const char *publish)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pub = zsock_new (ZMQ_PUB);
    assert_non_null (router);
    assert_non_null (pub);
    zsock_set_linger (router, 0);
    zsock_set_linger (pub, 0);
    //  The killed router's ports are free, but the kernel may take a
    //  moment to say so: try again, as harness_router_start_at does
    assert_true (s_bind (router, ingress));
    assert_true (s_bind (pub, publish));
    bool hello = false;
    int64_t deadline = harness_now () + LOST_HELLO_MS;
    while (!hello && harness_now () < deadline) {
        wire_msg_t *beat = wire_msg_new (WIRE_BEAT);
        beat->epoch = LOST_EPOCH;
        assert_int_equal (wire_msg_write (beat, zsock_resolve (pub), NULL, 0), 0);
        wire_msg_destroy (&beat);
        zmq_pollitem_t item = { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, LOST_BEAT_MS) <= 0)
            continue;
        char routing_id [WIRE_GATEWAY_MAX + 1];
        wire_msg_t *msg;
        while ((msg = wire_msg_read (zsock_resolve (router), routing_id, ZMQ_DONTWAIT))) {
            if (msg->id == WIRE_HELLO)
                hello = true;
            wire_msg_destroy (&msg);
        }
    }
    zsock_destroy (&router);
    zsock_destroy (&pub);
    return hello;
}

static void
test_hello_lost_in_restart (void **state)
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
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);

    harness_proc_kill (router);
    assert_non_null (harness_expect (alice, LOST_NOTICE, LOST_RESYNC_MS));
    assert_true (s_router_that_dies (ingress, publish));

    router = harness_router_start_at (harness, ingress, publish, control, s_router_flags);
    assert_non_null (router);
    assert_int_equal (harness_send (alice, "after two restarts"), 0);
    char line [LOST_LINE];
    snprintf (line, sizeof line, "[general] %s: after two restarts", harness_client_nick (alice));
    if (!harness_expect (bob, line, LOST_RESYNC_MS))
        harness_proc_dump (gateway);
    assert_true (harness_wait_status (harness, router, "sessions", 2, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (bob, line), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_hello_lost_in_restart, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

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
#include "harness_standin.h"
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

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  The stand-in's handler: stop at the gateway's HELLO, which is
//  swallowed unanswered.
static bool
s_on_message (void *arg, const char *route, const wire_msg_t *msg)
{
    (void) arg;
    (void) route;
    return msg->id == WIRE_HELLO;
}

//  A stand-in router on the endpoints beats with a new epoch until the
//  gateway's HELLO arrives, swallows it and goes away. True if a HELLO
//  came.
static bool
s_router_that_dies (const char *ingress, const char *publish)
{
    return harness_standin (ingress, publish, LOST_EPOCH, LOST_BEAT_MS, LOST_HELLO_MS,
                            s_on_message, NULL);
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

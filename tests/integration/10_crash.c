/*  =========================================================================
    10_crash.c - a gateway or the router dies without warning

    SIGKILL a gateway: the router notices the silence (--gateway-timeout 1)
    and drops its members, who leave /rooms and /who, and the others see
    leave lines. SIGKILL the router and start it again on the same
    endpoints: the gateways resync, their clients (still connected) are
    told, can chat again, and nickname uniqueness still holds.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRASH_GATEWAYS      2
#define CRASH_LOST_MS       3000    //  gateway timeout 1 s, plus slack
#define CRASH_RESYNC_MS     8000    //  router timeout 1 s, restart, resync
#define CRASH_LOST_NOTICE   "! lost contact with the server; reconnecting..."
#define CRASH_BACK_NOTICE   "* reconnected to the server"
#define CRASH_LINE_SIZE     128     //  bytes of an expected line we build

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", "--drain-timeout", "3", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  SIGKILL a gateway: its members disappear from the router within the
//  gateway timeout, the others see them leave.
static void
test_gateway_killed (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CRASH_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways,
                                                   CRASH_GATEWAYS, s_gateway_flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *dave = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    harness_client_t *carol = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (dave);
    assert_non_null (bob);
    assert_non_null (carol);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_set_nick (dave, "dave"));
    assert_true (harness_set_nick (bob, "bob"));
    assert_true (harness_set_nick (carol, "carol"));
    assert_true (harness_join (dave, "rust"));
    assert_true (harness_join (carol, "rust"));
    assert_true (harness_wait_status (harness, router, "sessions", 4, HARNESS_TIMEOUT_MS));

    harness_proc_kill (gateways [0]);
    //  PROTOCOL.md gives "gateway lost" as the example reason, the router
    //  says "connection lost": accept either, nothing else
    const char *left = harness_expect_sub (bob, "* alice left #general (", CRASH_LOST_MS);
    assert_non_null (left);
    assert_true (strcmp (left, "* alice left #general (connection lost)") == 0
              || strcmp (left, "* alice left #general (gateway lost)") == 0);
    assert_non_null (harness_expect_sub (carol, "* dave left #rust (", CRASH_LOST_MS));

    assert_int_equal (harness_send (bob, "/who"), 0);
    assert_non_null (harness_expect (bob, "* #general (1): bob", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (carol, "/who"), 0);
    assert_non_null (harness_expect (carol, "* #rust (1): carol", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "/rooms"), 0);
    const char *rooms [] = { "* rooms (2):", "*   #general  1 member", "*   #rust     1 member" };
    assert_true (harness_expect_block (bob, rooms, 3, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "sessions", 2, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));
    //  Their names are free
    assert_true (harness_set_nick (bob, "alice"));
}

//  SIGKILL the router and start it again on the same endpoints: clients
//  are told, the gateways resync their sessions, chat works again without
//  reconnecting, names are kept and still unique.
static void
test_router_restart (void **state)
{
    harness_t *harness = *state;
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    const char *ingress = endpoints.ingress, *publish = endpoints.publish;
    const char *control = endpoints.control;
    harness_proc_t *router = harness_router_start_at (harness, ingress, publish, control,
                                                      s_router_flags);
    assert_non_null (router);
    harness_proc_t *gateways [CRASH_GATEWAYS];
    for (size_t index = 0; index < CRASH_GATEWAYS; index++) {
        gateways [index] = harness_gateway_start (harness, router,
                                                  index == 0 ? "gw1" : "gw2",
                                                  s_gateway_flags);
        assert_non_null (gateways [index]);
    }
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    harness_client_t *carol = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (carol);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_set_nick (bob, "bob"));
    assert_true (harness_join (carol, "rust"));

    harness_proc_kill (router);
    assert_non_null (harness_expect (alice, CRASH_LOST_NOTICE, CRASH_RESYNC_MS));
    assert_non_null (harness_expect (bob, CRASH_LOST_NOTICE, CRASH_RESYNC_MS));
    router = harness_router_start_at (harness, ingress, publish, control, s_router_flags);
    assert_non_null (router);
    assert_non_null (harness_expect (alice, CRASH_BACK_NOTICE, CRASH_RESYNC_MS));
    assert_non_null (harness_expect (bob, CRASH_BACK_NOTICE, CRASH_RESYNC_MS));
    assert_non_null (harness_expect (carol, CRASH_BACK_NOTICE, CRASH_RESYNC_MS));
    assert_true (harness_wait_status (harness, router, "sessions", 3, CRASH_RESYNC_MS));
    assert_true (harness_wait_status (harness, router, "rooms", 2, HARNESS_TIMEOUT_MS));

    //  Chat works again, both ways, same names, same rooms
    assert_int_equal (harness_send (alice, "after the restart"), 0);
    assert_non_null (harness_expect (bob, "[general] alice: after the restart",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "welcome back"), 0);
    assert_non_null (harness_expect (alice, "[general] bob: welcome back", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/who"), 0);
    assert_non_null (harness_expect (alice, "* #general (2): alice, bob", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (carol, "/who"), 0);
    char line [CRASH_LINE_SIZE];
    snprintf (line, sizeof line, "* #rust (1): %s", harness_client_nick (carol));
    assert_non_null (harness_expect (carol, line, HARNESS_TIMEOUT_MS));
    //  The resync was silent: no join lines for the re-registered sessions
    assert_int_equal (harness_received_count (bob, "* alice joined"), 0);

    //  Uniqueness still holds for names taken before the restart
    harness_client_t *dave = harness_login (harness, gateways [1]);
    assert_non_null (dave);
    assert_int_equal (harness_send (dave, "/nick ALICE"), 0);
    assert_non_null (harness_expect_sub (dave, "! nickname taken: ", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (carol, "/nick Bob"), 0);
    assert_non_null (harness_expect_sub (carol, "! nickname taken: ", HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_gateway_killed, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_router_restart, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

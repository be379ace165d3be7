/*  =========================================================================
    16_resync_many_rooms.c - a router restart under a gateway with 5000 rooms

    One gateway holds 5000 users, each in a room of its own. The router
    is killed (SIGKILL) and started again on the same endpoints. On
    reconnect libzmq resends all 5000 subscriptions at once, and used to
    drop those past the SUB's send high-water mark (1000): the users of
    those rooms waited forever for their room to be live again and never
    re-registered (696 of 1300 came back). Every user must be
    re-registered, in its own room, and answered: each asks /who and
    gets "* #rN (1): NICK", which the router can only say once that
    user's resync LOGIN (sent when its room is live again) went through.
    The same 5000 under ASan/UBSan (a few seconds there too).
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESYNC_CLIENTS           5000
#define RESYNC_SETUP_MS          120000  //  log everyone in and into their rooms
#define RESYNC_BACK_MS           60000   //  restart, every session re-registered
#define RESYNC_WHO_MS            60000   //  every /who answered
#define RESYNC_LINE              128
#define RESYNC_FD_SPARE          512     //  descriptors beyond the clients, per process

static const char *s_router_flags [] = {
    "--gateway-timeout", "2", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

static void
test_resync_many_rooms (void **state)
{
    harness_t *harness = *state;
    //  Before the gateway starts: it inherits the limit
    harness_raise_fd_limit (RESYNC_CLIENTS + RESYNC_FD_SPARE);
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    harness_proc_t *router = harness_router_start_at (harness, endpoints.ingress,
        endpoints.publish, endpoints.control, s_router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_gateway_flags);
    assert_non_null (gateway);
    size_t count = RESYNC_CLIENTS;
    harness_crowd_t *crowd = harness_crowd_new (harness, gateway, count, "r", RESYNC_SETUP_MS);
    assert_non_null (crowd);

    harness_proc_kill (router);
    int64_t start = harness_now ();
    router = harness_router_start_at (harness, endpoints.ingress, endpoints.publish,
                                      endpoints.control, s_router_flags);
    assert_non_null (router);
    bool back = harness_wait_status (harness, router, "sessions", (long) count, RESYNC_BACK_MS);
    int64_t registered_ms = harness_now () - start;
    long sessions = harness_status_number (harness, router, "sessions");
    fprintf (stderr, "resync: %ld of %zu sessions re-registered %" PRId64 " ms after the restart\n",
             sessions, count, registered_ms);
    assert_true (back);

    for (size_t index = 0; index < count; index++) {
        char expect [RESYNC_LINE];
        snprintf (expect, sizeof expect, "* #r%zu (1): %s", index,
                  harness_crowd_nick (crowd, index));
        harness_crowd_send (crowd, index, "/who", expect);
    }
    size_t answered = harness_crowd_wait (crowd, RESYNC_WHO_MS);
    fprintf (stderr, "resync: %zu of %zu users answered in their own room %" PRId64
             " ms after the restart\n", answered, count, harness_now () - start);
    assert_int_equal (answered, count);
    assert_int_equal (harness_status_number (harness, router, "rooms"), (long) count);
    harness_crowd_destroy (&crowd);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_resync_many_rooms, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

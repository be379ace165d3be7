/*  =========================================================================
    15_many_joins.c - thousands of joins to new rooms at once, one gateway

    5000 clients on one gateway, each in a room of its own, all /join
    another new room at the same moment: the gateway subscribes to 5000
    topics in one burst. libzmq dropped every subscription past the SUB's
    send high-water mark (1000) silently, so about 4000 of these joins
    waited forever for a PROBED that could not come (their rooms were
    probed ten times a second, forever). Every join must be confirmed.
    The same 5000 under ASan/UBSan (a few seconds there too).
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOINS_CLIENTS           5000    //  far past libzmq's default 1000
#define JOINS_SETUP_MS          120000  //  log everyone in, in batches
#define JOINS_WAIT_MS           60000   //  every join confirmed
#define JOINS_LINE              128
#define JOINS_FD_SPARE          512     //  descriptors beyond the clients, per process

static void
test_many_new_room_joins (void **state)
{
    harness_t *harness = *state;
    //  Before the gateway starts: it inherits the limit
    harness_raise_fd_limit (JOINS_CLIENTS + JOINS_FD_SPARE);
    harness_proc_t *gateways [1];
    harness_proc_t *router = harness_start_system (harness, NULL, gateways, 1, NULL);
    assert_non_null (router);
    size_t count = JOINS_CLIENTS;
    harness_crowd_t *crowd = harness_crowd_new (harness, gateways [0], count, "a", JOINS_SETUP_MS);
    assert_non_null (crowd);

    int64_t start = harness_now ();
    for (size_t index = 0; index < count; index++) {
        char line [JOINS_LINE], expect [JOINS_LINE];
        snprintf (line, sizeof line, "/join b%zu", index);
        snprintf (expect, sizeof expect, "* %s joined #b%zu",
                  harness_crowd_nick (crowd, index), index);
        harness_crowd_send (crowd, index, line, expect);
    }
    size_t confirmed = harness_crowd_wait (crowd, JOINS_WAIT_MS);
    fprintf (stderr, "many joins: %zu of %zu new-room joins confirmed in %" PRId64 " ms\n",
             confirmed, count, harness_now () - start);
    assert_int_equal (confirmed, count);
    assert_true (harness_wait_status (harness, router, "rooms", (long) count, HARNESS_TIMEOUT_MS));
    harness_crowd_destroy (&crowd);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_many_new_room_joins, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    27_quiet_big_rooms.c - join and leave lines only in rooms up to a size

    With --announce-max 3, the first three in #quiet see each other come;
    the fourth and fifth are seen by nobody but themselves, and their
    leaving neither; /who still lists all five. Below the size again,
    lines come back. Across two gateways: the count is the router's, not
    one gateway's share.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define QUIET_GATEWAYS      2
#define QUIET_MAX           "3"
#define QUIET_MEMBERS       5
#define QUIET_SHOWN         3
#define QUIET_ROOM          "quiet"
#define QUIET_TEXT          256

static const char *s_flags [] = { "--announce-max", QUIET_MAX, NULL };

static void
test_big_room_is_quiet (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [QUIET_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, NULL, gateways, QUIET_GATEWAYS,
                                                   s_flags);
    assert_non_null (router);
    harness_client_t *members [QUIET_MEMBERS];
    for (size_t index = 0; index < QUIET_MEMBERS; index++) {
        members [index] = harness_login (harness, gateways [index % QUIET_GATEWAYS]);
        assert_non_null (members [index]);
        //  Everyone sees their own join line, in a big room too
        assert_true (harness_join (members [index], QUIET_ROOM));
    }
    assert_true (harness_marker (members [QUIET_MEMBERS - 1], QUIET_ROOM, members,
                                 QUIET_MEMBERS - 1));
    char line [QUIET_TEXT];
    for (size_t index = 0; index < QUIET_MEMBERS; index++) {
        snprintf (line, sizeof line, "* %s joined #" QUIET_ROOM,
                  harness_client_nick (members [index]));
        //  The first three are announced to those already there (and
        //  themselves); the rest only to themselves
        int expected = index < QUIET_SHOWN ? (int) index + 1 : 1;
        int seen = 0;
        for (size_t other = 0; other < QUIET_MEMBERS; other++)
            seen += harness_received_exact (members [other], line);
        assert_int_equal (seen, expected);
    }
    //  /who tells the truth
    assert_int_equal (harness_send (members [0], "/who"), 0);
    snprintf (line, sizeof line, "* #" QUIET_ROOM " (%d): ", QUIET_MEMBERS);
    assert_non_null (harness_expect_sub (members [0], line, HARNESS_TIMEOUT_MS));
    //  The fifth leaves a room of five: nobody is told; the fourth then
    //  leaves a room of four: nobody either; the third leaves a room of
    //  three: announced again
    //  One at a time: members sit on two gateways, whose LOGOUTs could
    //  otherwise reach the router in either order (and so meet other room sizes)
    for (size_t index = QUIET_MEMBERS - 1; index >= QUIET_SHOWN - 1; index--) {
        harness_client_close (members [index]);
        assert_true (harness_wait_status (harness, router, "sessions", (long) index,
                                          HARNESS_TIMEOUT_MS));
    }
    assert_true (harness_marker (members [0], QUIET_ROOM, &members [1], 1));
    for (size_t index = QUIET_SHOWN; index < QUIET_MEMBERS; index++) {
        snprintf (line, sizeof line, "* %s left #" QUIET_ROOM,
                  harness_client_nick (members [index]));
        assert_int_equal (harness_received_count (members [0], line), 0);
    }
    snprintf (line, sizeof line, "* %s left #" QUIET_ROOM " (disconnected)",
              harness_client_nick (members [QUIET_SHOWN - 1]));
    assert_non_null (harness_expect (members [0], line, HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_big_room_is_quiet, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

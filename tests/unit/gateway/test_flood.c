/*  =========================================================================
    test_flood.c - the token bucket over lines
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "flood.h"

#define TEST_START_MS   1000000     //  an arbitrary loop time
#define TEST_RATE       2           //  lines per second
#define TEST_BURST      5
#define TEST_LINE_MS    500         //  1000 / TEST_RATE
#define TEST_ROUNDS     10          //  lines at the rate
#define TEST_HOUR_MS    (3600 * 1000)
#define TEST_MANY       100000      //  lines with flood control off
#define TEST_FAST_RATE  3000        //  lines per second: under a ms per line

static const flood_limits_t s_limits = { TEST_RATE, TEST_BURST };

static void
test_burst_then_rate (void **state)
{
    (void) state;
    flood_t bucket;
    flood_init (&bucket, &s_limits, TEST_START_MS);
    int64_t now = TEST_START_MS;
    for (int line = 0; line < TEST_BURST; line++)
        assert_int_equal (flood_take (&bucket, &s_limits, now), 0);
    //  Empty: the wait is the time one token takes, and asking again
    //  without time passing changes nothing
    assert_int_equal (flood_take (&bucket, &s_limits, now), TEST_LINE_MS);
    assert_int_equal (flood_take (&bucket, &s_limits, now), TEST_LINE_MS);
    //  Part of the way there: the rest of the wait, rounded up
    assert_int_equal (flood_take (&bucket, &s_limits, now + TEST_LINE_MS - 1), 1);
    //  Then one line per TEST_LINE_MS, no more
    now += TEST_LINE_MS;
    for (int line = 0; line < TEST_ROUNDS; line++, now += TEST_LINE_MS) {
        assert_int_equal (flood_take (&bucket, &s_limits, now), 0);
        assert_true (flood_take (&bucket, &s_limits, now) > 0);
    }
}

static void
test_give_back (void **state)
{
    (void) state;
    flood_t bucket;
    flood_init (&bucket, &s_limits, TEST_START_MS);
    for (int line = 0; line < TEST_BURST; line++)
        assert_int_equal (flood_take (&bucket, &s_limits, TEST_START_MS), 0);
    //  A line the owner refused costs nothing: the next take succeeds
    flood_give_back (&bucket, &s_limits);
    assert_int_equal (flood_take (&bucket, &s_limits, TEST_START_MS), 0);
    assert_true (flood_take (&bucket, &s_limits, TEST_START_MS) > 0);
    //  Never past the burst
    flood_init (&bucket, &s_limits, TEST_START_MS);
    flood_give_back (&bucket, &s_limits);
    for (int line = 0; line < TEST_BURST; line++)
        assert_int_equal (flood_take (&bucket, &s_limits, TEST_START_MS), 0);
    assert_true (flood_take (&bucket, &s_limits, TEST_START_MS) > 0);
}

static void
test_refill_is_capped (void **state)
{
    (void) state;
    flood_t bucket;
    flood_init (&bucket, &s_limits, TEST_START_MS);
    //  A long silence earns a burst, not an hour's worth of lines
    int64_t now = TEST_START_MS + TEST_HOUR_MS;
    for (int line = 0; line < TEST_BURST; line++)
        assert_int_equal (flood_take (&bucket, &s_limits, now), 0);
    assert_true (flood_take (&bucket, &s_limits, now) > 0);
    //  A clock that goes back (never on the loop's) earns nothing
    assert_true (flood_take (&bucket, &s_limits, now - 1) > 0);
}

static void
test_told_once_per_episode (void **state)
{
    (void) state;
    flood_t bucket;
    flood_init (&bucket, &s_limits, TEST_START_MS);
    int64_t now = TEST_START_MS;
    while (flood_take (&bucket, &s_limits, now) == 0)
        ;
    assert_true (flood_tell (&bucket));
    assert_false (flood_tell (&bucket));
    //  A token back is not the end of the episode: still sending fast
    now += TEST_LINE_MS;
    assert_int_equal (flood_take (&bucket, &s_limits, now), 0);
    assert_true (flood_take (&bucket, &s_limits, now) > 0);
    assert_false (flood_tell (&bucket));
    //  A full bucket is: the next throttle is told again
    now += TEST_LINE_MS * TEST_BURST;
    while (flood_take (&bucket, &s_limits, now) == 0)
        ;
    assert_true (flood_tell (&bucket));
}

static void
test_off_and_burst_of_one (void **state)
{
    (void) state;
    flood_limits_t off = { 0, TEST_BURST };
    flood_t bucket;
    flood_init (&bucket, &off, TEST_START_MS);
    assert_false (flood_enabled (&off));
    for (int line = 0; line < TEST_MANY; line++)
        assert_int_equal (flood_take (&bucket, &off, TEST_START_MS), 0);
    //  Burst 0 with a rate: one line at a time, never none at all
    flood_limits_t single = { TEST_RATE, 0 };
    flood_init (&bucket, &single, TEST_START_MS);
    assert_int_equal (flood_take (&bucket, &single, TEST_START_MS), 0);
    assert_int_equal (flood_take (&bucket, &single, TEST_START_MS), TEST_LINE_MS);
    //  A high rate rounds its wait up to a whole millisecond
    flood_limits_t fast = { TEST_FAST_RATE, 1 };
    flood_init (&bucket, &fast, TEST_START_MS);
    assert_int_equal (flood_take (&bucket, &fast, TEST_START_MS), 0);
    assert_int_equal (flood_take (&bucket, &fast, TEST_START_MS), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_burst_then_rate),
        cmocka_unit_test (test_give_back),
        cmocka_unit_test (test_refill_is_capped),
        cmocka_unit_test (test_told_once_per_episode),
        cmocka_unit_test (test_off_and_burst_of_one),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

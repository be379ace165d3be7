/*  =========================================================================
    22_history_gapless.c - a join under load: replay + live, no gap, no twice

    One client floods room #flood with numbered lines ("n 1", "n 2", ...)
    through gateway 1 while 40 clients join the room through both
    gateways, each /join sent right behind a stretch of the flood, so the
    JOIN reaches the router while flood lines are in flight around it.
    Every joiner must see, in order, its replay ("[flood HH:MM] flooder:
    n K") then the live lines ("[flood] flooder: n K"), together one run
    of consecutive numbers ending at the last line: nothing missing at
    the seam between history and live traffic, nothing twice.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>

//  The flooder must flood: flood control off for this test
static const char *s_flood_flags [] = { "--rate-lines", "0", NULL };
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAPLESS_LINES           3000    //  lines the flooder says
#define GAPLESS_JOINERS         40      //  clients that join during the flood
#define GAPLESS_EVERY           (GAPLESS_LINES / (GAPLESS_JOINERS + 1))
#define GAPLESS_END_MS          30000   //  every joiner has the last line by then
#define GAPLESS_MARK            "flooder: n "
#define GAPLESS_LINE_MAX        64
#define GAPLESS_ROUNDS          3       //  floods, each in a room of its own

//  Check one joiner's lines: the numbers of the flood, in arrival order,
//  run first, first + 1, ..., GAPLESS_LINES. Adds up its replayed and
//  live lines.
static void
s_check_run (harness_client_t *joiner, const char *room, size_t index, size_t *replayed_p,
             size_t *live_p)
{
    char live_prefix [GAPLESS_LINE_MAX * 2];
    snprintf (live_prefix, sizeof live_prefix, "[%s] ", room);
    long previous = 0;
    size_t replayed = 0, lives = 0;
    bool live_seen = false;
    for (size_t at = 0; at < harness_line_count (joiner); at++) {
        const char *line = harness_line_at (joiner, at);
        const char *mark = strstr (line, GAPLESS_MARK);
        if (!mark)
            continue;
        long number = atol (mark + strlen (GAPLESS_MARK));
        bool live = strncmp (line, live_prefix, strlen (live_prefix)) == 0;
        if (!live) {
            //  History comes before every live line
            if (live_seen)
                fail_msg ("joiner %zu: history line after live ones: %s", index, line);
            replayed++;
        }
        else
            lives++;
        live_seen = live_seen || live;
        if (previous && number != previous + 1)
            fail_msg ("joiner %zu: %ld after %ld (%s)", index, number, previous, line);
        previous = number;
    }
    if (previous != GAPLESS_LINES)
        fail_msg ("joiner %zu: last line %ld", index, previous);
    assert_int_equal (harness_received_prefix (joiner, "! history unavailable"), 0);
    assert_int_equal (harness_received_prefix (joiner, "! missed"), 0);
    *replayed_p += replayed;
    *live_p += lives;
}

//  One flood in room, with GAPLESS_JOINERS joiners racing it.
static void
s_flood_round (harness_t *harness, harness_proc_t **gateways, harness_client_t *flooder,
               const char *room)
{
    assert_true (harness_join (flooder, room));
    //  The joiners log in first (into general), so each /join below goes
    //  up at once, racing the flood lines sent just before it
    harness_client_t *joiners [GAPLESS_JOINERS];
    for (size_t index = 0; index < GAPLESS_JOINERS; index++) {
        joiners [index] = harness_login (harness, gateways [index % 2]);
        assert_non_null (joiners [index]);
    }
    size_t joined = 0;
    for (long number = 1; number <= GAPLESS_LINES; number++) {
        assert_int_equal (harness_send (flooder, "n %ld", number), 0);
        if (number % GAPLESS_EVERY == 0 && joined < GAPLESS_JOINERS)
            assert_int_equal (harness_send (joiners [joined++], "/join %s", room), 0);
    }
    assert_int_equal (joined, GAPLESS_JOINERS);
    char last [GAPLESS_LINE_MAX];
    snprintf (last, sizeof last, GAPLESS_MARK "%d", GAPLESS_LINES);
    size_t replayed = 0, live = 0;
    for (size_t index = 0; index < joined; index++) {
        //  The last line, live or (for a late join) as history
        if (!harness_expect_sub (joiners [index], last, GAPLESS_END_MS))
            fail_msg ("joiner %zu never got the last line", index);
        s_check_run (joiners [index], room, index, &replayed, &live);
    }
    fprintf (stderr, "gapless #%s: %zu joiners, each one unbroken run to line %d; "
             "%zu lines came from their replays, %zu live\n", room, joined, GAPLESS_LINES,
             replayed, live);
    //  The seam was exercised: the runs were part replay, part live
    assert_true (replayed > 0);
    assert_true (live > 0);
    for (size_t index = 0; index < joined; index++)
        harness_client_close (joiners [index]);
}

static void
test_join_under_flood (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [2];
    assert_non_null (harness_start_system (harness, NULL, gateways, 2, s_flood_flags));
    harness_client_t *flooder = harness_login (harness, gateways [0]);
    assert_non_null (flooder);
    assert_true (harness_set_nick (flooder, "flooder"));
    for (int round = 1; round <= GAPLESS_ROUNDS; round++) {
        char room [GAPLESS_LINE_MAX];
        snprintf (room, sizeof room, "flood%d", round);
        s_flood_round (harness, gateways, flooder, room);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_join_under_flood, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

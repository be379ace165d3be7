/*  =========================================================================
    21_history_replay.c - replay on join, /history pages, --replay 0

    Real router and two gateways. A joiner first gets the room's last
    --replay lines, each as "[room HH:MM] nick: text" (UTC), then
    "* end of history (...)", then live traffic starting with its own
    join line. /history N shows the last N (capped by --history-max),
    /history more pages back, and says when there is nothing older.
    With --replay 0 a joiner gets no history, but /history still works.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_TEST_LINES       6
#define REPLAY_TEST_END         "* end of history (/history more for older lines)"
#define REPLAY_TEST_PAGE_END    "* end of history page (/history more for older lines)"
#define REPLAY_TEST_NO_OLDER    "* no older history in #general"
#define REPLAY_TEST_LINE_MAX    256

//  True if line is "[general HH:MM] alice: line N" (or its action form).
static bool
s_history_line (const char *line, int number, bool action)
{
    const char *prefix = "[general ";
    size_t size = strlen (prefix);
    if (!line || strncmp (line, prefix, size) != 0)
        return false;
    const char *stamp = line + size;
    if (!isdigit ((unsigned char) stamp [0]) || !isdigit ((unsigned char) stamp [1])
    ||  stamp [2] != ':' || !isdigit ((unsigned char) stamp [3])
    ||  !isdigit ((unsigned char) stamp [4]) || strncmp (stamp + 5, "] ", 2) != 0)
        return false;
    char rest [REPLAY_TEST_LINE_MAX];
    snprintf (rest, sizeof rest, action? "* alice waves %d": "alice: line %d", number);
    return strcmp (stamp + 7, rest) == 0;
}

//  The next lines of client must be the history lines first .. last
//  (alice's, the third one an action), then end (unless NULL).
static void
s_expect_history (harness_client_t *client, int first, int last, const char *end)
{
    for (int number = first; number <= last; number++) {
        const char *line = harness_next_line (client, HARNESS_TIMEOUT_MS);
        if (!s_history_line (line, number, number == 3))
            fail_msg ("expected history line %d, got '%s'", number, line? line: "(nothing)");
    }
    if (!end)
        return;
    const char *line = harness_next_line (client, HARNESS_TIMEOUT_MS);
    assert_non_null (line);
    assert_string_equal (line, end);
}

//  The next lines: alice's "live" as history, then a page's end.
static void
s_expect_live_then_end (harness_client_t *client)
{
    const char *line = harness_next_line (client, HARNESS_TIMEOUT_MS);
    assert_non_null (line);
    assert_non_null (strstr (line, "] alice: live"));
    assert_int_equal (strncmp (line, "[general ", strlen ("[general ")), 0);
    line = harness_next_line (client, HARNESS_TIMEOUT_MS);
    assert_non_null (line);
    assert_string_equal (line, REPLAY_TEST_PAGE_END);
}

//  alice on gw1 says lines 1 .. REPLAY_TEST_LINES (the third with /me),
//  and a marker bob on gw2 will not see (he is not there yet).
static harness_client_t *
s_alice_speaks (harness_t *harness, harness_proc_t *gateway)
{
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_true (harness_set_nick (alice, "alice"));
    for (int number = 1; number <= REPLAY_TEST_LINES; number++)
        if (number == 3)
            assert_int_equal (harness_send (alice, "/me waves %d", number), 0);
        else
            assert_int_equal (harness_send (alice, "line %d", number), 0);
    //  Every line has reached the router once alice's /who is answered
    assert_int_equal (harness_send (alice, "/who"), 0);
    assert_non_null (harness_expect_sub (alice, "* #general (", HARNESS_TIMEOUT_MS));
    return alice;
}

static void
test_replay_and_pages (void **state)
{
    harness_t *harness = *state;
    const char *router_flags [] = { "--replay", "3", "--history-max", "4", NULL };
    harness_proc_t *gateways [2];
    assert_non_null (harness_start_system (harness, router_flags, gateways, 2, NULL));
    harness_client_t *alice = s_alice_speaks (harness, gateways [0]);

    //  bob lands in general on the other gateway: welcome, the last
    //  three lines, the end, then his own join line (live)
    harness_client_t *bob = harness_connect (harness, gateways [1]);
    assert_non_null (bob);
    assert_non_null (harness_expect_sub (bob, "* Welcome to zchat, ", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect_sub (bob, "* Commands: ", HARNESS_TIMEOUT_MS));
    s_expect_history (bob, 4, 6, REPLAY_TEST_END);
    const char *joined = harness_next_line (bob, HARNESS_TIMEOUT_MS);
    assert_non_null (joined);
    assert_non_null (strstr (joined, " joined #general"));
    //  Live traffic follows
    assert_int_equal (harness_send (alice, "live"), 0);
    assert_non_null (harness_expect (bob, "[general] alice: live", HARNESS_TIMEOUT_MS));

    //  Pages back from the replay: 2 and 1, then nothing older
    assert_int_equal (harness_send (bob, "/history more"), 0);
    s_expect_history (bob, 1, 3, REPLAY_TEST_PAGE_END);
    assert_int_equal (harness_send (bob, "/history more"), 0);
    assert_non_null (harness_expect (bob, REPLAY_TEST_NO_OLDER, HARNESS_TIMEOUT_MS));
    //  /history N: the last N, capped at --history-max 4; the live line
    //  is history now too
    assert_int_equal (harness_send (bob, "/history 2"), 0);
    s_expect_history (bob, 6, 6, NULL);
    s_expect_live_then_end (bob);
    assert_int_equal (harness_send (bob, "/history 100"), 0);
    s_expect_history (bob, 4, 6, NULL);
    s_expect_live_then_end (bob);
}

static void
test_history_usage (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [1];
    assert_non_null (harness_start_system (harness, NULL, gateways, 1, NULL));
    harness_client_t *bob = harness_login (harness, gateways [0]);
    assert_non_null (bob);
    assert_int_equal (harness_send (bob, "/history lots"), 0);
    assert_non_null (harness_expect (bob, "! usage: /history [n|more]", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "/history 0"), 0);
    assert_non_null (harness_expect (bob, "! usage: /history [n|more]", HARNESS_TIMEOUT_MS));
    //  An empty room: nothing to show, and nothing older
    assert_int_equal (harness_send (bob, "/history"), 0);
    assert_non_null (harness_expect (bob, REPLAY_TEST_NO_OLDER, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "/history more"), 0);
    assert_non_null (harness_expect (bob, REPLAY_TEST_NO_OLDER, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "/help history"), 0);
    assert_non_null (harness_expect_sub (bob, "* /history [n|more]: ", HARNESS_TIMEOUT_MS));
}

static void
test_replay_off (void **state)
{
    harness_t *harness = *state;
    const char *router_flags [] = { "--replay", "0", NULL };
    harness_proc_t *gateways [2];
    assert_non_null (harness_start_system (harness, router_flags, gateways, 2, NULL));
    s_alice_speaks (harness, gateways [0]);
    harness_client_t *bob = harness_connect (harness, gateways [1]);
    assert_non_null (bob);
    assert_non_null (harness_expect_sub (bob, "* Welcome to zchat, ", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect_sub (bob, "* Commands: ", HARNESS_TIMEOUT_MS));
    //  No history, no end line: straight to his join line
    const char *joined = harness_next_line (bob, HARNESS_TIMEOUT_MS);
    assert_non_null (joined);
    assert_non_null (strstr (joined, " joined #general"));
    assert_int_equal (harness_received_prefix (bob, "[general "), 0);
    assert_int_equal (harness_received_exact (bob, REPLAY_TEST_END), 0);
    //  /history still answers
    assert_int_equal (harness_send (bob, "/history 3"), 0);
    s_expect_history (bob, 4, 6, REPLAY_TEST_PAGE_END);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_replay_and_pages, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_history_usage, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_replay_off, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    01_connect.c - a client connects, is welcomed and lands in #general

    Starts a router and two gateways, connects plain TCP clients and checks
    the exact welcome lines, that every guest nickname is unique across
    gateways, that existing members hear the join, and that input typed
    before the welcome is held, not lost.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_GATEWAYS    2
#define CONNECT_CLIENTS     6       //  spread over both gateways

//  True if nick is "guest-" followed by digits only.
static bool
s_is_guest_nick (const char *nick)
{
    const char *prefix = "guest-";
    if (strncmp (nick, prefix, strlen (prefix)) != 0)
        return false;
    const char *digits = nick + strlen (prefix);
    if (!*digits)
        return false;
    for (; *digits; digits++)
        if (!isdigit ((unsigned char) *digits))
            return false;
    return true;
}

//  Welcome lines are exact (harness_login checks them), end in CRLF, and
//  the guest nickname has the documented form.
static void
test_welcome (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *alice = harness_login (harness, gateways [0]);
    assert_non_null (alice);
    assert_true (s_is_guest_nick (harness_client_nick (alice)));
    assert_int_equal (harness_bad_endings (alice), 0);
    //  Exactly the three lines, nothing else so far
    assert_int_equal (harness_line_count (alice), 3);
}

//  Several clients on both gateways all get different nicknames; each
//  member already in #general hears every later join, across gateways.
static void
test_unique_nicks (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *clients [CONNECT_CLIENTS];
    for (size_t index = 0; index < CONNECT_CLIENTS; index++) {
        clients [index] = harness_login (harness, gateways [index % CONNECT_GATEWAYS]);
        assert_non_null (clients [index]);
        assert_true (s_is_guest_nick (harness_client_nick (clients [index])));
        for (size_t other = 0; other < index; other++)
            assert_string_not_equal (harness_client_nick (clients [index]),
                                     harness_client_nick (clients [other]));
    }
    //  The first client heard every later one join
    for (size_t index = 1; index < CONNECT_CLIENTS; index++) {
        char line [128];
        snprintf (line, sizeof line, "* %s joined #general",
                  harness_client_nick (clients [index]));
        assert_non_null (harness_expect (clients [0], line, HARNESS_TIMEOUT_MS));
    }
}

//  A line sent right after connecting, before the welcome, is held until
//  the session exists and then delivered.
static void
test_input_before_welcome (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *listener = harness_login (harness, gateways [1]);
    assert_non_null (listener);
    harness_client_t *early = harness_connect (harness, gateways [0]);
    assert_non_null (early);
    assert_int_equal (harness_send (early, "typed-before-welcome"), 0);
    const char *line = harness_expect_sub (listener, ": typed-before-welcome",
                                           HARNESS_TIMEOUT_MS);
    assert_non_null (line);
    assert_non_null (harness_expect_sub (early, "* Welcome to zchat, ", HARNESS_TIMEOUT_MS));
    //  "[general] guest-N: typed-before-welcome"
    assert_true (strncmp (line, "[general] guest-", strlen ("[general] guest-")) == 0);
}

//  Status reports the sessions of both gateways.
static void
test_status_counts (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, NULL, gateways,
                                                   CONNECT_GATEWAYS, NULL);
    assert_non_null (router);
    assert_true (harness_wait_status (harness, router, "gateways", CONNECT_GATEWAYS,
                                      HARNESS_TIMEOUT_MS));
    assert_non_null (harness_login (harness, gateways [0]));
    assert_non_null (harness_login (harness, gateways [1]));
    assert_non_null (harness_login (harness, gateways [1]));
    assert_true (harness_wait_status (harness, router, "sessions", 3, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "rooms", 1, HARNESS_TIMEOUT_MS));
    char *body = harness_ctl (harness, router, "status", NULL);
    assert_non_null (body);
    char *value = harness_body_value (body, "state");
    assert_non_null (value);
    assert_string_equal (value, "running");
    free (value);
    assert_non_null (strstr (body, "room name=general members=3 seq="));
    assert_non_null (strstr (body, "name=gw1 sessions=1"));
    assert_non_null (strstr (body, "name=gw2 sessions=2"));
    free (body);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_welcome, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_unique_nicks, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_input_before_welcome, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_status_counts, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    05_commands.c - /msg, /me, /help, /quit, unknown commands, usage errors

    Private lines cross gateways; errors are for the sender alone and are
    never broadcast; /quit says goodbye, then closes cleanly (FIN, never a
    reset) and the room hears the leave line.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMANDS_GATEWAYS   2
#define COMMANDS_LINE_SIZE  256
#define COMMANDS_HELP       "* Commands: /join <room>, /nick <name>, /rooms, /who, " \
                            "/msg <nick> <text>, /me <action>, /help, /quit"

//  alice on gw1, bob on gw2, carol on gw1, all named and in #general.
static void
s_three (harness_t *harness, harness_client_t **alice, harness_client_t **bob,
         harness_client_t **carol)
{
    harness_proc_t *gateways [COMMANDS_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, COMMANDS_GATEWAYS, NULL));
    *alice = harness_login (harness, gateways [0]);
    *bob = harness_login (harness, gateways [1]);
    *carol = harness_login (harness, gateways [0]);
    assert_non_null (*alice);
    assert_non_null (*bob);
    assert_non_null (*carol);
    assert_true (harness_set_nick (*alice, "alice"));
    assert_true (harness_set_nick (*bob, "bob"));
    assert_true (harness_set_nick (*carol, "carol"));
}

//  /msg reaches one nickname on any gateway (case-insensitive) and
//  confirms to the sender; nobody else sees it.
static void
test_msg (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);

    assert_int_equal (harness_send (alice, "/msg bob psst, over here"), 0);
    assert_non_null (harness_expect (bob, "[pm from alice] psst, over here", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (alice, "[pm to bob] psst, over here", HARNESS_TIMEOUT_MS));
    //  And back, naming the target in another case
    assert_int_equal (harness_send (bob, "/MSG ALICE got it"), 0);
    assert_non_null (harness_expect (alice, "[pm from bob] got it", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (bob, "[pm to alice] got it", HARNESS_TIMEOUT_MS));

    assert_true (harness_marker (bob, "general", &carol, 1));
    assert_int_equal (harness_received_count (carol, "psst"), 0);
    assert_int_equal (harness_received_count (carol, "got it"), 0);

    //  Unknown nickname, missing text, missing everything
    assert_int_equal (harness_send (alice, "/msg nobody hello?"), 0);
    assert_non_null (harness_expect (alice, "! no such nickname: nobody", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/msg bob"), 0);
    assert_non_null (harness_expect (alice, "! usage: /msg <nick> <text>", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/msg"), 0);
    assert_non_null (harness_expect (alice, "! usage: /msg <nick> <text>", HARNESS_TIMEOUT_MS));
    harness_client_t *receivers [] = { bob, carol };
    assert_true (harness_marker (alice, "general", receivers, 2));
    assert_int_equal (harness_received_count (bob, "hello?"), 0);
    assert_int_equal (harness_received_count (carol, "hello?"), 0);
}

//  /me is an action line for the room, not echoed to its sender.
static void
test_me (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);

    assert_int_equal (harness_send (alice, "/me waves at everyone"), 0);
    assert_non_null (harness_expect (bob, "[general] * alice waves at everyone",
                                     HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, "[general] * alice waves at everyone",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/me"), 0);
    assert_non_null (harness_expect (alice, "! usage: /me <action>", HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (bob, "general", &alice, 1));
    assert_int_equal (harness_received_count (alice, "waves"), 0);
}

//  /help lists the commands, to the asker only; an unknown command is an
//  error, never broadcast; usage errors for commands missing arguments.
static void
test_help_unknown_usage (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);

    assert_int_equal (harness_send (alice, "/help"), 0);
    assert_non_null (harness_expect (alice, COMMANDS_HELP, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/HeLp"), 0);
    assert_non_null (harness_expect (alice, COMMANDS_HELP, HARNESS_TIMEOUT_MS));

    assert_int_equal (harness_send (alice, "/foo bar baz"), 0);
    assert_non_null (harness_expect (alice, "! unknown command: /foo (try /help)",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/join"), 0);
    assert_non_null (harness_expect (alice, "! usage: /join <room>", HARNESS_TIMEOUT_MS));

    harness_client_t *receivers [] = { bob, carol };
    assert_true (harness_marker (alice, "general", receivers, 2));
    for (size_t index = 0; index < 2; index++) {
        //  From alice: the marker only; no errors, no second command list
        assert_int_equal (harness_received_prefix (receivers [index], "[general] alice: "), 1);
        assert_int_equal (harness_received_count (receivers [index], "foo"), 0);
        assert_int_equal (harness_received_prefix (receivers [index], "!"), 0);
        assert_int_equal (harness_received_exact (receivers [index], COMMANDS_HELP), 1);
    }
}

//  /quit: "* Bye!", then a clean close (EOF, no reset); the room, on both
//  gateways, sees the leave line with reason quit.
static void
test_quit (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);

    assert_int_equal (harness_send (alice, "/quit"), 0);
    assert_non_null (harness_expect (alice, "* Bye!", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_read_to_end (alice, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_non_null (harness_expect (bob, "* alice left #general (quit)", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, "* alice left #general (quit)", HARNESS_TIMEOUT_MS));
    //  The others carry on
    assert_true (harness_marker (bob, "general", &carol, 1));
    assert_int_equal (harness_send (bob, "/who"), 0);
    assert_non_null (harness_expect (bob, "* #general (2): bob, carol", HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_msg, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_me, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_help_unknown_usage, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_quit, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

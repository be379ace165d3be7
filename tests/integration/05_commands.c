/*  =========================================================================
    05_commands.c - /msg, /me, /help, /quit, unknown commands, usage errors,
    extra arguments, reserved guest names

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
#define COMMANDS_WELCOME    "* Commands: /join <room>, /nick <name>, /rooms, /who, " \
                            "/msg <nick> <text>, /me <action>, /help, /quit"
#define COMMANDS_HELP_TITLE "* Commands (/help <command> tells more):"

//  What /help answers: one line per command
static const char *s_help_lines [] = {
    COMMANDS_HELP_TITLE,
    "*   /join <room>        leave your room and enter another",
    "*   /nick <name>        change your nickname",
    "*   /rooms [word]       list the rooms, biggest first",
    "*   /who                list who is in your room",
    "*   /history [n|more]   show your room's earlier lines",
    "*   /msg <nick> <text>  send a private line",
    "*   /me <action>        act in your room",
    "*   /help [command]     this list, or how to use one command",
    "*   /quit               leave zchat",
    "* Any other line is said to your room; start it with // to say a line that begins with /.",
};
#define COMMANDS_HELP_COUNT (sizeof (s_help_lines) / sizeof (s_help_lines [0]))

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

//  /help lists the commands, one line each, to the asker only (not the
//  welcome's line again); an unknown command is an error, never
//  broadcast; usage errors for commands missing arguments.
static void
test_help_unknown_usage (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);

    assert_int_equal (harness_send (alice, "/help"), 0);
    assert_true (harness_expect_block (alice, s_help_lines, COMMANDS_HELP_COUNT,
                                       HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/HeLp"), 0);
    assert_true (harness_expect_block (alice, s_help_lines, COMMANDS_HELP_COUNT,
                                       HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_exact (alice, COMMANDS_WELCOME), 1);

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
        assert_int_equal (harness_received_exact (receivers [index], COMMANDS_WELCOME), 1);
        assert_int_equal (harness_received_exact (receivers [index], COMMANDS_HELP_TITLE), 0);
    }
}

//  /help join (or /help /JOIN) explains one command with an example; an
//  unknown topic is an error line.
static void
test_help_topics (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);
    const char *join [] = {
        "* /join <room>: leave your room and enter <room>; a room is made by its first "
        "member and goes with its last. Names are 1-32 letters, digits, _ or - (a leading "
        "# is optional; case does not matter)",
        "* example: /join rust",
    };
    assert_int_equal (harness_send (alice, "/help join"), 0);
    assert_true (harness_expect_block (alice, join, 2, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/help /JOIN"), 0);
    assert_true (harness_expect_block (alice, join, 2, HARNESS_TIMEOUT_MS));
    const char *rooms [] = {
        "* /rooms [word]: list the rooms and how many are in each, biggest first; a long "
        "list shows the biggest and how many more there are. With a word, only the rooms "
        "whose name contains it",
        "* example: /rooms rust",
    };
    assert_int_equal (harness_send (alice, "/help rooms"), 0);
    assert_true (harness_expect_block (alice, rooms, 2, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/help dance"), 0);
    assert_non_null (harness_expect (alice, "! unknown command: dance (try /help)",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/help join me"), 0);
    assert_non_null (harness_expect (alice, "! usage: /help [command]", HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (alice, "general", &bob, 1));
    assert_int_equal (harness_received_count (bob, "example: /join"), 0);
}

//  A word too many is a usage error for every verb that takes words, and
//  nothing happens: no rename to the first word, no join, no list, no quit.
static void
test_extra_arguments (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);
    struct { const char *line; const char *error; } cases [] = {
        { "/nick a b", "! usage: /nick <name>" },
        { "/join a b", "! usage: /join <room>" },
        { "/who me", "! usage: /who" },
        { "/rooms rust zig", "! usage: /rooms [word]" },
        { "/quit now", "! usage: /quit" },
        { "/help join now", "! usage: /help [command]" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        assert_int_equal (harness_send (alice, "%s", cases [index].line), 0);
        assert_non_null (harness_expect (alice, cases [index].error, HARNESS_TIMEOUT_MS));
    }
    //  Still alice, still in #general, still connected
    harness_client_t *receivers [] = { bob, carol };
    assert_true (harness_marker (alice, "general", receivers, 2));
    assert_int_equal (harness_received_exact (bob, "* alice is now known as a"), 0);
    assert_int_equal (harness_received_count (bob, "alice left"), 0);
    assert_int_equal (harness_received_count (alice, "* #general ("), 0);
    assert_int_equal (harness_received_count (alice, "* rooms"), 0);
}

//  guest-NNNN names are the server's: nobody can take one, in any case,
//  though anyone may still write to a guest.
static void
test_guest_names_reserved (void **state)
{
    harness_t *harness = *state;
    harness_client_t *alice, *bob, *carol;
    s_three (harness, &alice, &bob, &carol);
    const char *error = "! invalid nickname: names starting with guest- are given out by "
                        "the server only";
    assert_int_equal (harness_send (alice, "/nick guest-1234"), 0);
    assert_non_null (harness_expect (alice, error, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/nick GUEST-1"), 0);
    assert_non_null (harness_expect (alice, error, HARNESS_TIMEOUT_MS));
    //  A name that only looks alike is fine
    assert_true (harness_set_nick (alice, "guestbook"));

    assert_true (harness_marker (alice, "general", &bob, 1));
    assert_int_equal (harness_received_count (bob, "is now known as guest-1234"), 0);
    assert_int_equal (harness_received_count (bob, "is now known as GUEST-1"), 0);
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
        cmocka_unit_test_setup_teardown (test_help_topics, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_extra_arguments, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_guest_names_reserved, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

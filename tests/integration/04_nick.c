/*  =========================================================================
    04_nick.c - nicknames: renames, uniqueness across gateways, bad names

    The router decides uniqueness, ignoring case, for sessions on every
    gateway; a rename is announced to the room on both gateways; invalid
    names are refused with the documented reason and never reach anyone.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NICK_GATEWAYS       2
#define NICK_LINE_SIZE      256

//  A rename is announced to everyone in the room, on both gateways, and
//  the new name is used for chat lines from then on.
static void
test_rename_announced (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [NICK_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, NICK_GATEWAYS, NULL));
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    harness_client_t *carol = harness_login (harness, gateways [0]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (carol);

    char line [NICK_LINE_SIZE];
    snprintf (line, sizeof line, "* %s is now known as alice", harness_client_nick (alice));
    assert_true (harness_set_nick (alice, "alice"));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, line, HARNESS_TIMEOUT_MS));

    assert_int_equal (harness_send (alice, "new name"), 0);
    assert_non_null (harness_expect (bob, "[general] alice: new name", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, "[general] alice: new name", HARNESS_TIMEOUT_MS));
}

//  A /join right behind a /nick: the renamer still hears of the rename,
//  once, though the room it was announced in is left before the
//  announcement arrives; the room left hears it once too.
static void
test_rename_then_join_at_once (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [NICK_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, NICK_GATEWAYS, NULL));
    harness_client_t *zed = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (zed);
    assert_non_null (bob);
    char line [NICK_LINE_SIZE];
    snprintf (line, sizeof line, "* %s is now known as zed", harness_client_nick (zed));
    assert_int_equal (harness_send (zed, "/nick zed\n/join yroom"), 0);
    assert_non_null (harness_expect (zed, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (zed, "* zed joined #yroom", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (bob, "* zed left #general (joined #yroom)", HARNESS_TIMEOUT_MS));
    //  Once each, nothing late
    assert_int_equal (harness_send (zed, "/who"), 0);
    assert_non_null (harness_expect (zed, "* #yroom (1): zed", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (zed, "is now known as zed"), 1);
    assert_int_equal (harness_received_count (bob, "is now known as zed"), 1);
}

//  A nickname in use on the other gateway, in any case, is refused; the
//  owner may change the case of its own; a freed nickname can be reused.
static void
test_unique_across_gateways (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [NICK_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, NICK_GATEWAYS, NULL));
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_set_nick (alice, "alice"));

    assert_int_equal (harness_send (bob, "/nick ALICE"), 0);
    const char *error = harness_expect_sub (bob, "! nickname taken: ", HARNESS_TIMEOUT_MS);
    assert_non_null (error);
    assert_true (strcasecmp (error, "! nickname taken: alice") == 0);
    assert_int_equal (harness_send (bob, "/nick alice"), 0);
    assert_non_null (harness_expect (bob, "! nickname taken: alice", HARNESS_TIMEOUT_MS));
    //  Same gateway too
    harness_client_t *carol = harness_login (harness, gateways [0]);
    assert_non_null (carol);
    assert_int_equal (harness_send (carol, "/nick Alice"), 0);
    assert_non_null (harness_expect_sub (carol, "! nickname taken: ", HARNESS_TIMEOUT_MS));

    //  Bob kept his name: his lines still carry it
    assert_int_equal (harness_send (bob, "still me"), 0);
    char line [NICK_LINE_SIZE];
    snprintf (line, sizeof line, "[general] %s: still me", harness_client_nick (bob));
    assert_non_null (harness_expect (alice, line, HARNESS_TIMEOUT_MS));
    //  The refusal was not announced
    assert_int_equal (harness_received_count (alice, "is now known as ALICE"), 0);

    //  Changing the case of your own nickname is allowed
    assert_true (harness_set_nick (alice, "Alice"));
    assert_non_null (harness_expect (bob, "* alice is now known as Alice", HARNESS_TIMEOUT_MS));

    //  Once alice quits, her name is free again
    assert_int_equal (harness_send (alice, "/quit"), 0);
    assert_non_null (harness_expect (bob, "* Alice left #general (quit)", HARNESS_TIMEOUT_MS));
    assert_true (harness_set_nick (bob, "alice"));
}

//  Each invalid nickname gets its reason; /nick alone gets the usage.
static void
test_invalid_nicks (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [NICK_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, NICK_GATEWAYS, NULL));
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);

    struct {
        const char *input;
        const char *reply;
    } cases [] = {
        { "/nick 1abc", "! invalid nickname: must start with a letter or _" },
        { "/nick -abc", "! invalid nickname: must start with a letter or _" },
        { "/nick a.b", "! invalid nickname: bad character (allowed: letters, digits, _ and -)" },
        { "/nick h\xc3\xa9llo",
          "! invalid nickname: bad character (allowed: letters, digits, _ and -)" },
        { "/nick abcdefghijabcdefghijabcdefghijabc",
          "! invalid nickname: too long (max 32 characters)" },
        { "/nick", "! usage: /nick <name>" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        assert_int_equal (harness_send (alice, "%s", cases [index].input), 0);
        assert_non_null (harness_expect (alice, cases [index].reply, HARNESS_TIMEOUT_MS));
    }
    //  Exactly 32 characters, starting with _, is fine
    char line [NICK_LINE_SIZE];
    snprintf (line, sizeof line, "* %s is now known as _bcdefghijabcdefghijabcdefghij-9",
              harness_client_nick (alice));
    assert_true (harness_set_nick (alice, "_bcdefghijabcdefghijabcdefghij-9"));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (alice, "general", &bob, 1));
    assert_int_equal (harness_received_count (bob, "invalid"), 0);
    assert_int_equal (harness_received_count (bob, "known as 1abc"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_rename_then_join_at_once, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_rename_announced, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_unique_across_gateways, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_invalid_nicks, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

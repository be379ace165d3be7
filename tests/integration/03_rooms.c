/*  =========================================================================
    03_rooms.c - rooms: isolation, /join announcements, /rooms and /who

    Rooms whose names share a prefix (rust / rustacean, general / general2)
    must never see each other's traffic, in either direction, on either
    gateway: a gateway subscribes to "room\n", never to a bare prefix.
    Absence is proven with markers published after the traffic under test.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOMS_GATEWAYS      2
#define ROOMS_LINE_SIZE     256

static void
s_system (harness_t *harness, harness_proc_t **gateways)
{
    assert_non_null (harness_start_system (harness, NULL, gateways, ROOMS_GATEWAYS, NULL));
}

//  Log in with a chosen nickname.
static harness_client_t *
s_user (harness_t *harness, harness_proc_t *gateway, const char *nick)
{
    harness_client_t *client = harness_login (harness, gateway);
    assert_non_null (client);
    assert_true (harness_set_nick (client, nick));
    return client;
}

//  Two rooms whose names are prefix-related, members on both gateways:
//  each room's lines reach its members only.
static void
s_check_isolation (harness_t *harness, const char *short_room, const char *long_room)
{
    harness_proc_t *gateways [ROOMS_GATEWAYS];
    s_system (harness, gateways);
    //  a1 (gw1), a2 (gw2) in the short room; b1 (gw1), b2 (gw2) in the long one
    harness_client_t *a1 = s_user (harness, gateways [0], "a1");
    harness_client_t *a2 = s_user (harness, gateways [1], "a2");
    harness_client_t *b1 = s_user (harness, gateways [0], "b1");
    harness_client_t *b2 = s_user (harness, gateways [1], "b2");
    if (strcmp (short_room, "general") != 0) {
        assert_true (harness_join (a1, short_room));
        assert_true (harness_join (a2, short_room));
    }
    assert_true (harness_join (b1, long_room));
    assert_true (harness_join (b2, long_room));
    //  Both members of each room are known to be in it
    char line [ROOMS_LINE_SIZE];
    snprintf (line, sizeof line, "* b2 joined #%s", long_room);
    assert_non_null (harness_expect (b1, line, HARNESS_TIMEOUT_MS));

    assert_int_equal (harness_send (a1, "secret-of-short-from-gw1"), 0);
    assert_int_equal (harness_send (a2, "secret-of-short-from-gw2"), 0);
    assert_int_equal (harness_send (b1, "secret-of-long-from-gw1"), 0);
    assert_int_equal (harness_send (b2, "secret-of-long-from-gw2"), 0);

    //  Each room's own members get its lines
    snprintf (line, sizeof line, "[%s] a1: secret-of-short-from-gw1", short_room);
    assert_non_null (harness_expect (a2, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "[%s] a2: secret-of-short-from-gw2", short_room);
    assert_non_null (harness_expect (a1, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "[%s] b1: secret-of-long-from-gw1", long_room);
    assert_non_null (harness_expect (b2, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "[%s] b2: secret-of-long-from-gw2", long_room);
    assert_non_null (harness_expect (b1, line, HARNESS_TIMEOUT_MS));

    //  Markers in both rooms, published after every secret
    assert_true (harness_marker (a1, short_room, &a2, 1));
    assert_true (harness_marker (b2, long_room, &b1, 1));
    assert_true (harness_marker (a2, short_room, &a1, 1));
    assert_true (harness_marker (b1, long_room, &b2, 1));

    assert_int_equal (harness_received_count (b1, "secret-of-short"), 0);
    assert_int_equal (harness_received_count (b2, "secret-of-short"), 0);
    assert_int_equal (harness_received_count (a1, "secret-of-long"), 0);
    assert_int_equal (harness_received_count (a2, "secret-of-long"), 0);
    //  Nor any of the other room's markers
    char prefix [ROOMS_LINE_SIZE];
    snprintf (prefix, sizeof prefix, "[%s] ", long_room);
    assert_int_equal (harness_received_count (a1, prefix), 0);
    assert_int_equal (harness_received_count (a2, prefix), 0);
    snprintf (prefix, sizeof prefix, "[%s] ", short_room);
    assert_int_equal (harness_received_count (b1, prefix), 0);
    assert_int_equal (harness_received_count (b2, prefix), 0);
}

static void
test_rust_rustacean (void **state)
{
    s_check_isolation (*state, "rust", "rustacean");
}

static void
test_general_general2 (void **state)
{
    s_check_isolation (*state, "general", "general2");
}

//  /join is announced as a leave in the old room and a join in the new
//  one, on both gateways; the joiner stops hearing the old room at once.
static void
test_join_announcements (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [ROOMS_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *alice = s_user (harness, gateways [0], "alice");
    harness_client_t *bob = s_user (harness, gateways [1], "bob");
    harness_client_t *dave = s_user (harness, gateways [0], "dave");
    harness_client_t *carol = s_user (harness, gateways [1], "carol");
    assert_true (harness_join (carol, "rust"));

    //  Room names are case-insensitive, a leading # is dropped
    assert_int_equal (harness_send (alice, "/join #RuSt"), 0);
    assert_non_null (harness_expect (alice, "* alice joined #rust", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (bob, "* alice left #general (joined #rust)",
                                     HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (dave, "* alice left #general (joined #rust)",
                                     HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, "* alice joined #rust", HARNESS_TIMEOUT_MS));

    //  Alice hears rust now, and no longer general: bob's line is
    //  published (dave, on alice's gateway, has it) before carol's marker
    assert_int_equal (harness_send (bob, "general only"), 0);
    assert_non_null (harness_expect (dave, "[general] bob: general only", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (carol, "rust only"), 0);
    assert_non_null (harness_expect (alice, "[rust] carol: rust only", HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (carol, "rust", &alice, 1));
    assert_int_equal (harness_received_count (alice, "general only"), 0);
    //  Her own leave line is not for her
    assert_int_equal (harness_received_count (alice, "* alice left"), 0);

    //  Joining the room you are in is an error for you alone
    assert_int_equal (harness_send (alice, "/join rust"), 0);
    assert_non_null (harness_expect (alice, "! you are already in #rust", HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (alice, "rust", &carol, 1));
    assert_int_equal (harness_received_count (carol, "already"), 0);
    assert_int_equal (harness_received_count (carol, "* alice joined #rust"), 1);
}

//  /rooms lists every room with its member count, across gateways, one
//  per line, biggest first (then by name); empty rooms disappear.
static void
test_rooms_list (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [ROOMS_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *alice = s_user (harness, gateways [0], "alice");
    harness_client_t *bob = s_user (harness, gateways [1], "bob");
    harness_client_t *carol = s_user (harness, gateways [1], "carol");
    harness_client_t *dave = s_user (harness, gateways [0], "dave");
    assert_true (harness_join (bob, "rust"));
    assert_true (harness_join (carol, "rust"));
    assert_true (harness_join (dave, "zig"));

    const char *three [] = { "* rooms (3):", "*   #rust     2 members",
                             "*   #general  1 member", "*   #zig      1 member" };
    assert_int_equal (harness_send (alice, "/rooms"), 0);
    assert_true (harness_expect_block (alice, three, 4, HARNESS_TIMEOUT_MS));
    //  Same answer from the other gateway
    assert_int_equal (harness_send (bob, "/ROOMS"), 0);
    assert_true (harness_expect_block (bob, three, 4, HARNESS_TIMEOUT_MS));
    //  Dave leaves zig: it is gone
    assert_true (harness_join (dave, "rust"));
    const char *two [] = { "* rooms (2):", "*   #rust     3 members", "*   #general  1 member" };
    assert_int_equal (harness_send (alice, "/rooms"), 0);
    assert_true (harness_expect_block (alice, two, 3, HARNESS_TIMEOUT_MS));
    //  The list is a reply, never broadcast
    assert_true (harness_marker (bob, "rust", &carol, 1));
    assert_int_equal (harness_received_count (carol, "* rooms"), 0);
}

//  /who lists the members of your room, across gateways, sorted by name.
static void
test_who (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [ROOMS_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *zoe = s_user (harness, gateways [0], "zoe");
    harness_client_t *bob = s_user (harness, gateways [1], "bob");
    harness_client_t *alice = s_user (harness, gateways [0], "Alice");
    harness_client_t *carol = s_user (harness, gateways [1], "carol");
    assert_true (harness_join (carol, "rust"));
    assert_true (harness_join (zoe, "rust"));

    assert_int_equal (harness_send (bob, "/who"), 0);
    assert_non_null (harness_expect (bob, "* #general (2): Alice, bob", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (carol, "/who"), 0);
    assert_non_null (harness_expect (carol, "* #rust (2): carol, zoe", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (alice, "* #"), 0);
}

//  With --list-max 2, /rooms shows the two biggest rooms and counts the
//  rest; /rooms WORD shows the rooms whose name contains it; /who on a
//  room bigger than the limit counts the members it does not name.
static void
test_rooms_bounded_and_filtered (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [ROOMS_GATEWAYS];
    const char *extra [] = { "--list-max", "2", NULL };
    assert_non_null (harness_start_system (harness, NULL, gateways, ROOMS_GATEWAYS, extra));
    const char *nicks [] = { "amy", "ben", "cat", "dan", "eve", "fay", "gil" };
    const char *rooms [] = { "rust", "rust", "rust", "rustacean", "rustacean", "zig", NULL };
    harness_client_t *users [7];
    for (size_t index = 0; index < 7; index++) {
        users [index] = s_user (harness, gateways [index % ROOMS_GATEWAYS], nicks [index]);
        if (rooms [index])
            assert_true (harness_join (users [index], rooms [index]));
    }
    harness_client_t *gil = users [6];      //  in #general, alone
    const char *biggest [] = { "* rooms (4):", "*   #rust       3 members",
                               "*   #rustacean  2 members", "* ... and 2 more rooms" };
    assert_int_equal (harness_send (gil, "/rooms"), 0);
    assert_true (harness_expect_block (gil, biggest, 4, HARNESS_TIMEOUT_MS));

    const char *matching [] = { "* rooms matching \"rust\" (2):",
                                "*   #rust       3 members", "*   #rustacean  2 members" };
    assert_int_equal (harness_send (gil, "/rooms #Rust"), 0);
    assert_true (harness_expect_block (gil, matching, 3, HARNESS_TIMEOUT_MS));
    const char *zig [] = { "* rooms matching \"g\" (2):",
                           "*   #general  1 member", "*   #zig      1 member" };
    assert_int_equal (harness_send (gil, "/rooms g"), 0);
    assert_true (harness_expect_block (gil, zig, 3, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (gil, "/rooms zz"), 0);
    assert_non_null (harness_expect (gil, "* no rooms matching \"zz\"", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (gil, "/rooms no!"), 0);
    assert_non_null (harness_expect (gil, "! invalid room name: bad character (allowed: "
                                          "letters, digits, _ and -)", HARNESS_TIMEOUT_MS));

    assert_int_equal (harness_send (users [0], "/who"), 0);
    assert_non_null (harness_expect (users [0], "* #rust (3): amy, ben, ... and 1 more",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (gil, "/who"), 0);
    assert_non_null (harness_expect (gil, "* #general (1): gil", HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_rust_rustacean, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_general_general2, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_join_announcements, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_rooms_list, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_who, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_rooms_bounded_and_filtered, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

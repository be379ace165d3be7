/*  =========================================================================
    test_names.c - nickname and room name rules
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "names.h"

static void
test_nicks (void **state)
{
    (void) state;
    assert_int_equal (names_check_nick ("alice"), NAMES_OK);
    assert_int_equal (names_check_nick ("A"), NAMES_OK);
    assert_int_equal (names_check_nick ("_x"), NAMES_OK);
    assert_int_equal (names_check_nick ("guest-4821"), NAMES_OK);
    assert_int_equal (names_check_nick ("Bob_9-x"), NAMES_OK);
    assert_int_equal (names_check_nick (""), NAMES_EMPTY);
    assert_int_equal (names_check_nick ("9lives"), NAMES_BAD_START);
    assert_int_equal (names_check_nick ("-dash"), NAMES_BAD_START);
    assert_int_equal (names_check_nick ("with space"), NAMES_BAD_CHARACTER);
    assert_int_equal (names_check_nick ("tab\t"), NAMES_BAD_CHARACTER);
    assert_int_equal (names_check_nick ("h\xc3\xa9llo"), NAMES_BAD_CHARACTER);
    assert_int_equal (names_check_nick ("#chan"), NAMES_BAD_CHARACTER);
    assert_int_equal (names_check_nick ("a.b"), NAMES_BAD_CHARACTER);
    //  Character errors win over start errors
    assert_int_equal (names_check_nick ("9 lives"), NAMES_BAD_CHARACTER);
    //  32 is the maximum, 33 is too long
    assert_int_equal (names_check_nick ("a2345678901234567890123456789012"), NAMES_OK);
    assert_int_equal (names_check_nick ("a23456789012345678901234567890123"), NAMES_TOO_LONG);
}

//  Guest names are the router's: valid, but a user cannot pick one
static void
test_chosen_nicks (void **state)
{
    (void) state;
    assert_int_equal (names_check_chosen_nick ("alice"), NAMES_OK);
    assert_int_equal (names_check_chosen_nick ("guest"), NAMES_OK);
    assert_int_equal (names_check_chosen_nick ("guestbook"), NAMES_OK);
    assert_int_equal (names_check_chosen_nick ("guest_1"), NAMES_OK);
    assert_int_equal (names_check_chosen_nick ("my-guest-1"), NAMES_OK);
    assert_int_equal (names_check_chosen_nick ("guest-1234"), NAMES_RESERVED);
    assert_int_equal (names_check_chosen_nick ("GUEST-1"), NAMES_RESERVED);
    assert_int_equal (names_check_chosen_nick ("Guest-x"), NAMES_RESERVED);
    assert_int_equal (names_check_chosen_nick ("guest-"), NAMES_RESERVED);
    //  The other rules come first
    assert_int_equal (names_check_chosen_nick ("guest-a b"), NAMES_BAD_CHARACTER);
    assert_int_equal (names_check_chosen_nick (""), NAMES_EMPTY);
    //  Everyone may still name a guest (/msg guest-1234)
    assert_int_equal (names_check_nick ("GUEST-1"), NAMES_OK);
    assert_string_equal (names_status_text (NAMES_RESERVED),
                         "names starting with guest- are given out by the server only");
}

static void
test_rooms (void **state)
{
    (void) state;
    char room [CHAT_ROOM_MAX + 1];
    assert_int_equal (names_canonical_room ("general", room), NAMES_OK);
    assert_string_equal (room, "general");
    assert_int_equal (names_canonical_room ("#Rust", room), NAMES_OK);
    assert_string_equal (room, "rust");
    assert_int_equal (names_canonical_room ("9-_Z", room), NAMES_OK);
    assert_string_equal (room, "9-_z");
    //  One '#' only
    assert_int_equal (names_canonical_room ("##rust", room), NAMES_BAD_CHARACTER);
    assert_string_equal (room, "");
    assert_int_equal (names_canonical_room ("#", room), NAMES_EMPTY);
    assert_int_equal (names_canonical_room ("", room), NAMES_EMPTY);
    assert_int_equal (names_canonical_room ("a b", room), NAMES_BAD_CHARACTER);
    assert_int_equal (names_canonical_room ("rust\n", room), NAMES_BAD_CHARACTER);
    assert_int_equal (names_canonical_room ("$ctl", room), NAMES_BAD_CHARACTER);
    //  32 characters (plus an optional '#') fit; 33 do not
    assert_int_equal (names_canonical_room ("#A2345678901234567890123456789012", room), NAMES_OK);
    assert_string_equal (room, "a2345678901234567890123456789012");
    assert_int_equal (names_canonical_room ("a23456789012345678901234567890123", room),
                      NAMES_TOO_LONG);
}

//  Every invisible, format or control character a user could hide in a
//  name, in the middle and at either end: names are ASCII, so each is a
//  bad character, for nicknames and rooms alike (the router checks both
//  with these same functions).
static void
test_no_invisible_characters (void **state)
{
    (void) state;
    const char *hidden [] = {
        "\xc2\x9b",            //  U+009B CSI (C1)
        "\xc2\x80",            //  U+0080 (C1)
        "\xc2\x9f",            //  U+009F (C1)
        "\xc2\xa0",            //  U+00A0 no-break space
        "\xc2\xad",            //  U+00AD soft hyphen
        "\xd8\x9c",            //  U+061C arabic letter mark
        "\xe2\x80\x8b",        //  U+200B zero width space
        "\xe2\x80\x8c",        //  U+200C ZWNJ
        "\xe2\x80\x8d",        //  U+200D ZWJ
        "\xe2\x80\x8e",        //  U+200E LRM
        "\xe2\x80\x8f",        //  U+200F RLM
        "\xe2\x80\xa8",        //  U+2028 line separator
        "\xe2\x80\xa9",        //  U+2029 paragraph separator
        "\xe2\x80\xaa",        //  U+202A LRE
        "\xe2\x80\xae",        //  U+202E RLO
        "\xe2\x81\xa0",        //  U+2060 word joiner
        "\xe2\x81\xa6",        //  U+2066 LRI
        "\xe2\x81\xa9",        //  U+2069 PDI
        "\xef\xbb\xbf",        //  U+FEFF zero width no-break space
        "\xf3\xa0\x80\x81",    //  U+E0001 language tag
        "\x1b", "\x7f", "\x01", "\r", "\n",
    };
    char room [CHAT_ROOM_MAX + 1];
    for (size_t index = 0; index < sizeof (hidden) / sizeof (hidden [0]); index++) {
        for (size_t at = 0; at <= 3; at++) {
            //  "bob" with the character inserted at offset at
            char name [CHAT_NICK_MAX + 1];
            snprintf (name, sizeof (name), "%.*s%s%s", (int) at, "bob", hidden [index],
                      "bob" + at);
            assert_int_equal (names_check_nick (name), NAMES_BAD_CHARACTER);
            assert_int_equal (names_canonical_room (name, room), NAMES_BAD_CHARACTER);
            assert_string_equal (room, "");
        }
    }
}

static void
test_nick_key (void **state)
{
    (void) state;
    char key [CHAT_NICK_MAX + 1];
    names_nick_key ("AlIcE_-9", key);
    assert_string_equal (key, "alice_-9");
    names_nick_key ("", key);
    assert_string_equal (key, "");
    names_nick_key ("A2345678901234567890123456789012", key);
    assert_string_equal (key, "a2345678901234567890123456789012");
    char other [CHAT_NICK_MAX + 1];
    names_nick_key ("bob", key);
    names_nick_key ("BOB", other);
    assert_string_equal (key, other);
}

static void
test_status_text (void **state)
{
    (void) state;
    assert_string_equal (names_status_text (NAMES_OK), "ok");
    assert_string_equal (names_status_text (NAMES_EMPTY), "empty");
    assert_string_equal (names_status_text (NAMES_TOO_LONG), "too long (max 32 characters)");
    assert_string_equal (names_status_text (NAMES_BAD_CHARACTER),
                         "bad character (allowed: letters, digits, _ and -)");
    assert_string_equal (names_status_text (NAMES_BAD_START), "must start with a letter or _");
    assert_string_equal (names_status_text ((names_status_t) 99), "invalid");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_nicks),
        cmocka_unit_test (test_chosen_nicks),
        cmocka_unit_test (test_rooms),
        cmocka_unit_test (test_no_invisible_characters),
        cmocka_unit_test (test_nick_key),
        cmocka_unit_test (test_status_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

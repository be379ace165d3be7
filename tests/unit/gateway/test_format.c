/*  =========================================================================
    test_format.c - every client-visible line, byte for byte

    The expected strings are copied from docs/PROTOCOL.md: if one of them
    changes there, this test says where the gateway must follow.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "format.h"
#include "text.h"

static int
s_setup (void **state)
{
    *state = format_new ();
    return *state? 0: -1;
}

static int
s_teardown (void **state)
{
    format_t *format = (format_t *) *state;
    format_destroy (&format);
    format_destroy (&format);       //  twice is harmless
    assert_null (format);
    return 0;
}

//  The line just formatted equals expected, and the size matches it.
static void
s_assert_line (format_t *format, size_t size, const char *expected)
{
    assert_string_equal (format_data (format), expected);
    assert_int_equal (size, strlen (expected));
    assert_int_equal (format_size (format), strlen (expected));
}

static void
test_room_traffic (void **state)
{
    format_t *format = (format_t *) *state;
    s_assert_line (format, format_chat (format, "rust", "alice", "hi"), "[rust] alice: hi\r\n");
    s_assert_line (format, format_emote (format, "rust", "alice", "waves"),
                   "[rust] * alice waves\r\n");
    s_assert_line (format, format_joined (format, "rust", "alice"), "* alice joined #rust\r\n");
    s_assert_line (format, format_left (format, "general", "alice", "joined #rust"),
                   "* alice left #general (joined #rust)\r\n");
    s_assert_line (format, format_left (format, "rust", "alice", "quit"),
                   "* alice left #rust (quit)\r\n");
    s_assert_line (format, format_left (format, "rust", "alice", ""), "* alice left #rust\r\n");
    s_assert_line (format, format_renamed (format, "alice", "bob"),
                   "* alice is now known as bob\r\n");
    s_assert_line (format, format_notice (format, "Server shutting down..."),
                   "* Server shutting down...\r\n");
    //  An empty chat text still makes a well-formed line
    s_assert_line (format, format_chat (format, "a", "b", ""), "[a] b: \r\n");
}

static void
test_replies (void **state)
{
    format_t *format = (format_t *) *state;
    s_assert_line (format, format_private (format, "alice", "hi"), "[pm from alice] hi\r\n");
    s_assert_line (format, format_private_sent (format, "bob", "hi"), "[pm to bob] hi\r\n");
    s_assert_line (format, format_error (format, "nickname taken: bob"),
                   "! nickname taken: bob\r\n");
}

static void
test_lists_sorted (void **state)
{
    format_t *format = (format_t *) *state;
    //  Rooms: biggest first, then by name; one per line, counts aligned
    wire_entry_t rooms [] = { { "rust", 1 }, { "general", 3 }, { "zig", 12 }, { "c", 3 } };
    s_assert_line (format, format_room_list (format, rooms, 4, 4, ""),
                   "* rooms (4):\r\n"
                   "*   #zig      12 members\r\n"
                   "*   #c         3 members\r\n"
                   "*   #general   3 members\r\n"
                   "*   #rust      1 member\r\n");
    wire_entry_t nicks [] = { { "bob", 0 }, { "Carol", 0 }, { "alice", 0 } };
    s_assert_line (format, format_who_list (format, "rust", nicks, 3, 3),
                   "* #rust (3): alice, bob, Carol\r\n");
    wire_entry_t one [] = { { "general", 1 } };
    s_assert_line (format, format_room_list (format, one, 1, 1, NULL),
                   "* rooms (1):\r\n*   #general  1 member\r\n");
    s_assert_line (format, format_who_list (format, "x", NULL, 0, 0), "* #x (0):\r\n");
}

//  Bounded lists say how many more there are; a filter is named
static void
test_lists_bounded (void **state)
{
    format_t *format = (format_t *) *state;
    wire_entry_t rooms [] = { { "rust", 12 }, { "rustacean", 2 } };
    s_assert_line (format, format_room_list (format, rooms, 2, 980, ""),
                   "* rooms (980):\r\n"
                   "*   #rust       12 members\r\n"
                   "*   #rustacean   2 members\r\n"
                   "* ... and 978 more rooms\r\n");
    s_assert_line (format, format_room_list (format, rooms, 2, 3, "rust"),
                   "* rooms matching \"rust\" (3):\r\n"
                   "*   #rust       12 members\r\n"
                   "*   #rustacean   2 members\r\n"
                   "* ... and 1 more room\r\n");
    s_assert_line (format, format_room_list (format, NULL, 0, 0, "zzz"),
                   "* no rooms matching \"zzz\"\r\n");
    s_assert_line (format, format_room_list (format, NULL, 0, 0, ""), "* no rooms\r\n");
    //  A total below the entries shown is the entries' count
    s_assert_line (format, format_room_list (format, rooms, 1, 0, ""),
                   "* rooms (1):\r\n*   #rust  12 members\r\n");
    wire_entry_t nicks [] = { { "bob", 0 }, { "alice", 0 } };
    s_assert_line (format, format_who_list (format, "big", nicks, 2, 5000),
                   "* #big (5000): alice, bob, ... and 4998 more\r\n");
    s_assert_line (format, format_who_list (format, "big", NULL, 0, 7),
                   "* #big (7): ... and 7 more\r\n");
}

static void
test_long_list_grows (void **state)
{
    format_t *format = (format_t *) *state;
    enum { COUNT = 3000 };
    wire_entry_t *entries = (wire_entry_t *) calloc (COUNT, sizeof (wire_entry_t));
    char (*names) [16] = calloc (COUNT, 16);
    for (int index = 0; index < COUNT; index++) {
        snprintf (names [index], 16, "n%05d", COUNT - index);
        entries [index].name = names [index];
    }
    size_t size = format_who_list (format, "big", entries, COUNT, COUNT);
    //  "* #big (3000):" + 3000 * " nNNNNN" + 2999 commas + CRLF
    assert_int_equal (size, strlen ("* #big (3000):") + COUNT * 7 + (COUNT - 1) + 2);
    assert_memory_equal (format_data (format), "* #big (3000): n00001, n00002", 29);
    assert_string_equal (format_data (format) + size - 8, "n03000\r\n");
    free (names);
    free (entries);
}

static void
test_gateway_lines (void **state)
{
    format_t *format = (format_t *) *state;
    s_assert_line (format, format_welcome (format, "guest-4821", "general"),
        "* Welcome to zchat, guest-4821! You are in #general.\r\n"
        "* Commands: /join <room>, /nick <name>, /rooms, /who, /msg <nick> <text>, "
        "/me <action>, /help, /quit\r\n");
    s_assert_line (format, format_help (format, "", 0),
        "* Commands (/help <command> tells more):\r\n"
        "*   /join <room>        leave your room and enter another\r\n"
        "*   /nick <name>        change your nickname\r\n"
        "*   /rooms [word]       list the rooms, biggest first\r\n"
        "*   /who                list who is in your room\r\n"
        "*   /history [n|more]   show your room's earlier lines\r\n"
        "*   /msg <nick> <text>  send a private line\r\n"
        "*   /me <action>        act in your room\r\n"
        "*   /help [command]     this list, or how to use one command\r\n"
        "*   /quit               leave zchat\r\n"
        "* Any other line is said to your room; start it with // to say a line "
        "that begins with /.\r\n");
    //  One command, named with or without '/' (not NUL-terminated)
    const char *expected_join =
        "* /join <room>: leave your room and enter <room>; a room is made by its "
        "first member and goes with its last. Names are 1-32 letters, digits, _ or - "
        "(a leading # is optional; case does not matter)\r\n"
        "* example: /join rust\r\n";
    s_assert_line (format, format_help (format, "join", 4), expected_join);
    s_assert_line (format, format_help (format, "/JOIN me", 5), expected_join);
    s_assert_line (format, format_help (format, "dance", 5),
                   "! unknown command: dance (try /help)\r\n");
    s_assert_line (format, format_usage (format, "/join <room>"), "! usage: /join <room>\r\n");
    s_assert_line (format, format_unknown_command (format, "/foo bar", 4),
                   "! unknown command: /foo (try /help)\r\n");
    s_assert_line (format, format_invalid_nick (format, "empty"), "! invalid nickname: empty\r\n");
    s_assert_line (format, format_invalid_room (format, "too long (max 32 characters)"),
                   "! invalid room name: too long (max 32 characters)\r\n");
    s_assert_line (format, format_already_in (format, "rust"), "! you are already in #rust\r\n");
    s_assert_line (format, format_missed (format, 5, "rust"), "! missed 5 messages in #rust\r\n");
    s_assert_line (format, format_nick_now (format, "alice_"), "* your nickname is now alice_\r\n");
    s_assert_line (format, format_notice (format, FORMAT_BYE), "* Bye!\r\n");
    s_assert_line (format, format_error (format, FORMAT_LOST_ROUTER),
                   "! lost contact with the server; reconnecting...\r\n");
    s_assert_line (format, format_notice (format, FORMAT_ROUTER_BACK),
                   "* reconnected to the server\r\n");
    s_assert_line (format, format_notice (format, FORMAT_SHUTTING_DOWN),
                   "* This gateway is shutting down; please reconnect.\r\n");
}

static void
test_max_text (void **state)
{
    format_t *format = (format_t *) *state;
    char *text = (char *) malloc (WIRE_TEXT_MAX + 1);
    memset (text, 'x', WIRE_TEXT_MAX);
    text [WIRE_TEXT_MAX] = 0;
    size_t size = format_chat (format, "r", "n", text);
    assert_int_equal (size, strlen ("[r] n: ") + WIRE_TEXT_MAX + 2);
    assert_int_equal (format_data (format) [size], 0);
    free (text);
}

#define FFFD "\xef\xbf\xbd"

//  True when the line holds no control byte but its final CRLF, no C1 or
//  bidi control and is valid UTF-8: what a terminal may safely be sent.
static bool
s_safe (format_t *format)
{
    const uint8_t *bytes = (const uint8_t *) format_data (format);
    size_t size = format_size (format);
    if (size < 2 || memcmp (bytes + size - 2, "\r\n", 2) != 0)
        return false;
    size -= 2;
    size_t index = 0;
    while (index < size) {
        size_t length;
        if (text_char (bytes + index, size - index, &length) != TEXT_CHAR_PRINTABLE)
            return false;
        index += length;
    }
    return true;
}

//  A reply of several lines: exactly lines CRLF-ended lines, each safe
//  (so no field could add or split one).
static bool
s_safe_lines (format_t *format, size_t lines)
{
    const char *data = format_data (format);
    size_t size = format_size (format);
    size_t count = 0;
    const char *start = data;
    for (const char *end = strstr (start, "\r\n"); end; end = strstr (start, "\r\n")) {
        for (size_t index = 0; start + index < end; ) {
            size_t length;
            if (text_char ((const uint8_t *) start + index, end - start - index, &length)
                != TEXT_CHAR_PRINTABLE)
                return false;
            index += length;
        }
        count++;
        start = end + 2;
    }
    return count == lines && start == data + size;
}

//  Each class of hostile bytes, in each field of each line that carries
//  text from elsewhere: the line comes out safe.
static void
test_sanitised_fields (void **state)
{
    format_t *format = (format_t *) *state;
    const char *hostile [] = {
        "\x1b[2J\x1b]0;owned\x07",              //  ESC, BEL (C0)
        "a\rb\nc\x01\x7f",                      //  CR, LF, SOH, DEL
        "\xc2\x9b" "2J\xc2\x9d" "0;x\xc2\x9c",  //  CSI, OSC, ST (C1)
        "\xe2\x80\xae" "txt.exe",               //  RLO
        "\xe2\x81\xa6" "x\xe2\x81\xa9",         //  LRI .. PDI
        "line\xe2\x80\xa8two",                  //  U+2028
        "\xff\xfe\xc3\x28\xed\xa0\x80\xe6\x9c", //  invalid UTF-8, truncated
        "\x9b" "2J",                            //  a raw C1 byte
    };
    for (size_t index = 0; index < sizeof (hostile) / sizeof (hostile [0]); index++) {
        const char *bad = hostile [index];
        wire_entry_t entries [] = { { (char *) bad, 1 }, { "ok", 2 } };
        format_chat (format, bad, "n", "t");            assert_true (s_safe (format));
        format_chat (format, "r", bad, "t");            assert_true (s_safe (format));
        format_chat (format, "r", "n", bad);            assert_true (s_safe (format));
        format_emote (format, bad, bad, bad);           assert_true (s_safe (format));
        format_joined (format, bad, bad);               assert_true (s_safe (format));
        format_left (format, bad, bad, bad);            assert_true (s_safe (format));
        format_renamed (format, bad, bad);              assert_true (s_safe (format));
        format_notice (format, bad);                    assert_true (s_safe (format));
        format_error (format, bad);                     assert_true (s_safe (format));
        format_private (format, bad, bad);              assert_true (s_safe (format));
        format_private_sent (format, bad, bad);         assert_true (s_safe (format));
        //  Header, two rooms, "... and 1 more room"
        format_room_list (format, entries, 2, 3, bad);  assert_true (s_safe_lines (format, 4));
        format_who_list (format, bad, entries, 2, 3);   assert_true (s_safe (format));
        format_help (format, bad, strlen (bad));        assert_true (s_safe (format));
        format_welcome (format, bad, bad);
        //  Two lines, so exactly two CRLFs: the second ends the data
        const char *data = format_data (format);
        const char *first_end = strstr (data, "\r\n");
        assert_non_null (first_end);
        assert_ptr_equal (strstr (first_end + 2, "\r\n"), data + format_size (format) - 2);
        format_usage (format, bad);                     assert_true (s_safe (format));
        format_unknown_command (format, bad, strlen (bad));
        assert_true (s_safe (format));
        format_invalid_nick (format, bad);              assert_true (s_safe (format));
        format_invalid_room (format, bad);              assert_true (s_safe (format));
        format_already_in (format, bad);                assert_true (s_safe (format));
        format_missed (format, 1, bad);                 assert_true (s_safe (format));
        format_nick_now (format, bad);                  assert_true (s_safe (format));
    }
}

//  What each class becomes, exactly.
static void
test_sanitised_bytes (void **state)
{
    format_t *format = (format_t *) *state;
    //  TAB is a space; C0 and DEL are U+FFFD each
    s_assert_line (format, format_chat (format, "r", "n", "a\tb\x1b[2J\x7f"),
                   "[r] n: a b" FFFD "[2J" FFFD "\r\n");
    //  CR and LF inside a field cannot end the line early
    s_assert_line (format, format_chat (format, "r", "n", "a\r\nb"),
                   "[r] n: a" FFFD FFFD "b\r\n");
    //  C1 (two bytes) is one U+FFFD
    s_assert_line (format, format_chat (format, "r", "n", "\xc2\x9b" "2J"),
                   "[r] n: " FFFD "2J\r\n");
    //  Bidi controls and separators (three bytes) are one U+FFFD
    s_assert_line (format, format_chat (format, "r", "\xe2\x80\xae" "bob", "x\xe2\x80\xa9"),
                   "[r] " FFFD "bob: x" FFFD "\r\n");
    //  Each invalid byte is one U+FFFD; what is valid stays
    s_assert_line (format, format_chat (format, "r", "n", "\xff\xe6\x9c\xac\xe6\x9c"),
                   "[r] n: " FFFD "\xe6\x9c\xac" FFFD FFFD "\r\n");
    //  Allowed characters pass untouched: CJK, emoji, ZWJ, LRM
    s_assert_line (format, format_chat (format, "r", "n",
                   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x91\xa8\xe2\x80\x8d"
                   "\xf0\x9f\x91\xa9 \xe2\x80\x8e"),
                   "[r] n: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x91\xa8\xe2\x80\x8d"
                   "\xf0\x9f\x91\xa9 \xe2\x80\x8e\r\n");
    //  The unknown verb too (it is not NUL-terminated)
    s_assert_line (format, format_unknown_command (format, "/x\x1b" "yz", 4),
                   "! unknown command: /x" FFFD "y (try /help)\r\n");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_room_traffic, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_replies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lists_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lists_sorted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_long_list_grows, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gateway_lines, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_max_text, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sanitised_fields, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sanitised_bytes, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

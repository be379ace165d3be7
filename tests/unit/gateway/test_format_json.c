/*  =========================================================================
    test_format_json.c - the zchat.v1.json form of every event, byte for byte

    The expected objects are docs/PROTOCOL.md section 3's shapes: if one
    changes there, this test says where the gateway must follow. Also:
    the JSON form is rendered from the same format_* call as the telnet
    line, once, and a hostile field cannot leave its string.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "format.h"

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
    return 0;
}

static void
s_assert_json (format_t *format, const char *expected)
{
    size_t size;
    const char *json = format_json_data (format, &size);
    assert_string_equal (json, expected);
    assert_int_equal (size, strlen (expected));
}

static void
test_room_events (void **state)
{
    format_t *format = (format_t *) *state;
    format_chat (format, "rust", "alice", "hi");
    s_assert_json (format, "{\"type\":\"chat\",\"room\":\"rust\",\"nick\":\"alice\",\"text\":\"hi\"}\r\n");
    //  The text form is untouched by asking for JSON
    assert_string_equal (format_data (format), "[rust] alice: hi\r\n");
    format_emote (format, "rust", "alice", "waves");
    s_assert_json (format, "{\"type\":\"action\",\"room\":\"rust\",\"nick\":\"alice\",\"text\":\"waves\"}\r\n");
    format_joined (format, "rust", "bob");
    s_assert_json (format, "{\"type\":\"join\",\"room\":\"rust\",\"nick\":\"bob\"}\r\n");
    format_left (format, "rust", "bob", "quit");
    s_assert_json (format, "{\"type\":\"leave\",\"room\":\"rust\",\"nick\":\"bob\",\"reason\":\"quit\"}\r\n");
    format_left (format, "rust", "bob", NULL);
    s_assert_json (format, "{\"type\":\"leave\",\"room\":\"rust\",\"nick\":\"bob\",\"reason\":\"\"}\r\n");
    format_renamed (format, "bob", "robert");
    s_assert_json (format, "{\"type\":\"rename\",\"nick\":\"bob\",\"to\":\"robert\"}\r\n");
    format_missed (format, 5, "rust");
    s_assert_json (format, "{\"type\":\"missed\",\"room\":\"rust\",\"count\":5}\r\n");
}

static void
test_replies (void **state)
{
    format_t *format = (format_t *) *state;
    format_private (format, "alice", "psst");
    s_assert_json (format, "{\"type\":\"private\",\"direction\":\"in\",\"nick\":\"alice\",\"text\":\"psst\"}\r\n");
    format_private_sent (format, "bob", "hey");
    s_assert_json (format, "{\"type\":\"private\",\"direction\":\"out\",\"nick\":\"bob\",\"text\":\"hey\"}\r\n");
    wire_entry_t rooms [] = { { .name = "zig", .count = 1 }, { .name = "general", .count = 120 } };
    format_room_list (format, rooms, 2, 980, "");
    s_assert_json (format, "{\"type\":\"rooms\",\"filter\":\"\",\"total\":980,\"rooms\":["
                           "{\"name\":\"general\",\"members\":120},{\"name\":\"zig\",\"members\":1}]}\r\n");
    format_room_list (format, NULL, 0, 0, "xyz");
    s_assert_json (format, "{\"type\":\"rooms\",\"filter\":\"xyz\",\"total\":0,\"rooms\":[]}\r\n");
    wire_entry_t members [] = { { .name = "bob" }, { .name = "alice" } };
    format_who_list (format, "rust", members, 2, 3);
    s_assert_json (format, "{\"type\":\"members\",\"room\":\"rust\",\"total\":3,"
                           "\"members\":[\"alice\",\"bob\"]}\r\n");
}

static void
test_history_and_session (void **state)
{
    format_t *format = (format_t *) *state;
    format_history (format, "rust", 1764684000000, 1764684000000, 41, false, "alice", "earlier");
    s_assert_json (format, "{\"type\":\"history\",\"room\":\"rust\",\"time\":1764684000000,\"seq\":41,"
                           "\"action\":false,\"nick\":\"alice\",\"text\":\"earlier\"}\r\n");
    format_history (format, "rust", 1000, 1000, 7, true, "bob", "waved");
    s_assert_json (format, "{\"type\":\"history\",\"room\":\"rust\",\"time\":1000,\"seq\":7,"
                           "\"action\":true,\"nick\":\"bob\",\"text\":\"waved\"}\r\n");
    format_history_end (format, "rust", 2, true);
    s_assert_json (format, "{\"type\":\"history_end\",\"room\":\"rust\",\"count\":2,\"join\":true}\r\n");
    format_welcome (format, "guest-1", "general");
    s_assert_json (format, "{\"type\":\"welcome\",\"nick\":\"guest-1\",\"room\":\"general\"}\r\n");
    format_nick_now (format, "guest-2");
    s_assert_json (format, "{\"type\":\"nick\",\"nick\":\"guest-2\"}\r\n");
}

//  Events without fields: one notice or error per text line
static void
test_lines (void **state)
{
    format_t *format = (format_t *) *state;
    format_notice (format, "Bye!");
    s_assert_json (format, "{\"type\":\"notice\",\"text\":\"Bye!\"}\r\n");
    format_error (format, "server busy, try again later");
    s_assert_json (format, "{\"type\":\"error\",\"text\":\"server busy, try again later\"}\r\n");
    format_usage (format, "/join <room>");
    s_assert_json (format, "{\"type\":\"error\",\"text\":\"usage: /join <room>\"}\r\n");
    format_help (format, "join", 4);
    size_t size;
    const char *json = format_json_data (format, &size);
    assert_non_null (strstr (json, "{\"type\":\"notice\",\"text\":\"/join <room>: "));
    assert_non_null (strstr (json, "}\r\n{\"type\":\"notice\",\"text\":\"example: /join rust\"}\r\n"));
}

//  Rendered once per event, reused; the next call replaces it
static void
test_rendered_once (void **state)
{
    format_t *format = (format_t *) *state;
    format_chat (format, "rust", "alice", "hi");
    size_t first_size, second_size;
    const char *first = format_json_data (format, &first_size);
    const char *second = format_json_data (format, &second_size);
    assert_ptr_equal (first, second);
    assert_int_equal (first_size, second_size);
    assert_int_equal (format_event (format)->kind, FORMAT_EVENT_CHAT);
    format_notice (format, "x");
    assert_int_equal (format_event (format)->kind, FORMAT_EVENT_LINES);
    s_assert_json (format, "{\"type\":\"notice\",\"text\":\"x\"}\r\n");
}

//  Quotes, backslashes, control characters and bad UTF-8 from anywhere
static void
test_hostile_fields (void **state)
{
    format_t *format = (format_t *) *state;
    format_chat (format, "r\"}", "a\\b", "<script>\"\x01\r\n\xff" "\xc3\xa9");
    s_assert_json (format, "{\"type\":\"chat\",\"room\":\"r\\\"}\",\"nick\":\"a\\\\b\","
                           "\"text\":\"<script>\\\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                           "\xef\xbf\xbd\xc3\xa9\"}\r\n");
    format_chat (format, NULL, NULL, NULL);
    s_assert_json (format, "{\"type\":\"chat\",\"room\":\"\",\"nick\":\"\",\"text\":\"\"}\r\n");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_room_events, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_replies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_history_and_session, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lines, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rendered_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_fields, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    06_bad_input.c - hostile and odd input at the gateway's edge

    Over-long lines, telnet negotiation, control characters, invalid UTF-8,
    binary garbage, invalid names and abrupt closes: each gets its exact
    answer, nothing bad is ever broadcast, and the connection (and the
    server) keeps working. Absence is proven with markers.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD_GATEWAYS        2
#define BAD_LINE_MAX        2048    //  the gateway's default --max-line
#define BAD_LINE_SIZE       4096
#define BAD_GARBAGE_SIZE    (256 * 1024)
#define BAD_GARBAGE_SEED    12345u

#define BAD_TOO_LONG        "! line too long (max 2048 bytes), discarded"
#define BAD_CONTROL         "! line rejected: control characters are not allowed"
#define BAD_UTF8            "! line rejected: invalid UTF-8"
#define BAD_ROOM_CHARACTER  "! invalid room name: bad character (allowed: letters, digits, _ and -)"

#define TELNET_IAC          "\xff"
#define TELNET_DONT         "\xfe"
#define TELNET_DO           "\xfd"
#define TELNET_WONT         "\xfc"
#define TELNET_WILL         "\xfb"
#define TELNET_SB           "\xfa"
#define TELNET_SE           "\xf0"
#define TELNET_ECHO         "\x01"
#define TELNET_SGA          "\x03"
#define TELNET_TTYPE        "\x18"
#define TELNET_NAWS         "\x1f"
#define TELNET_LINEMODE     "\x22"
#define TELNET_BINARY       "\x00"
#define TELNET_EC           "\xf7"
#define TELNET_EL           "\xf8"

//  Send a string literal (which may hold NUL bytes) whole.
#define BAD_SEND(client, literal) \
    harness_send_raw ((client), (literal), sizeof (literal) - 1)
#define BAD_REJECT(room, literal, reply) \
    s_reject ((room), (literal), sizeof (literal) - 1, (reply))

typedef struct {
    harness_client_t *alice;        //  gw1, sends the bad input
    harness_client_t *bob;          //  gw2, must never see it
    harness_client_t *carol;        //  gw1, must never see it
    harness_proc_t *gateways [BAD_GATEWAYS];
} s_room_t;

static void
s_room (harness_t *harness, s_room_t *room)
{
    harness_proc_t **gateways = room->gateways;
    assert_non_null (harness_start_system (harness, NULL, gateways, BAD_GATEWAYS, NULL));
    room->alice = harness_login (harness, gateways [0]);
    room->bob = harness_login (harness, gateways [1]);
    room->carol = harness_login (harness, gateways [0]);
    assert_non_null (room->alice);
    assert_non_null (room->bob);
    assert_non_null (room->carol);
    assert_true (harness_set_nick (room->alice, "alice"));
    assert_true (harness_set_nick (room->bob, "bob"));
    assert_true (harness_set_nick (room->carol, "carol"));
    harness_clear (room->alice);
    harness_clear (room->bob);
    harness_clear (room->carol);
}

//  Alice's marker reached bob and carol: everything before it was seen.
//  Then nothing from alice but the marker reached them.
static void
s_nothing_broadcast (s_room_t *room)
{
    harness_client_t *receivers [] = { room->bob, room->carol };
    assert_true (harness_marker (room->alice, "general", receivers, 2));
    assert_int_equal (harness_pending_count (room->bob, "alice"), 0);
    assert_int_equal (harness_pending_count (room->carol, "alice"), 0);
    harness_clear (room->bob);
    harness_clear (room->carol);
}

//  Send raw bytes from alice, expect the reply (NULL: no reply), and
//  check that the connection still works.
static void
s_reject (s_room_t *room, const char *bytes, size_t size, const char *reply)
{
    assert_int_equal (harness_send_raw (room->alice, bytes, size), 0);
    if (reply)
        assert_non_null (harness_expect (room->alice, reply, HARNESS_TIMEOUT_MS));
    s_nothing_broadcast (room);
}

//  Over the cap: error, the rest of the line dropped, connection usable,
//  nothing broadcast. Exactly at the cap: delivered whole.
static void
test_line_length (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    char line [BAD_LINE_SIZE];
    memset (line, 'x', BAD_LINE_MAX + 1);
    memcpy (line + BAD_LINE_MAX + 1, "\r\n", 2);
    s_reject (&room, line, BAD_LINE_MAX + 3, BAD_TOO_LONG);
    //  Much longer, in several writes, with LF only
    for (int part = 0; part < 3; part++)
        assert_int_equal (harness_send_raw (room.alice, line, BAD_LINE_MAX), 0);
    s_reject (&room, "tail\n", strlen ("tail\n"), BAD_TOO_LONG);
    assert_int_equal (harness_received_count (room.alice, BAD_TOO_LONG), 2);

    //  Exactly 2048 bytes of text (plus CRLF) is a line
    memset (line, 'y', BAD_LINE_MAX);
    memcpy (line + BAD_LINE_MAX, "\r\n", 2);
    assert_int_equal (harness_send_raw (room.alice, line, BAD_LINE_MAX + 2), 0);
    char expected [BAD_LINE_SIZE];
    snprintf (expected, sizeof expected, "[general] alice: %.*s", BAD_LINE_MAX, line);
    assert_non_null (harness_expect (room.bob, expected, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (room.carol, expected, HARNESS_TIMEOUT_MS));
    //  2048 multibyte bytes too (1024 two-byte characters)
    for (size_t index = 0; index < BAD_LINE_MAX; index += 2)
        memcpy (line + index, "\xc3\xa9", 2);
    memcpy (line + BAD_LINE_MAX, "\n", 1);
    assert_int_equal (harness_send_raw (room.alice, line, BAD_LINE_MAX + 1), 0);
    snprintf (expected, sizeof expected, "[general] alice: %.*s", BAD_LINE_MAX, line);
    assert_non_null (harness_expect (room.bob, expected, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_prefix (room.alice, "!"), 2);
}

//  Telnet: DO/WILL answered with WONT/DONT, negotiation stripped from the
//  line (also split over two writes, and subnegotiation), never broadcast.
static void
test_telnet (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    //  A bare negotiation on its own line: answered, nothing else
    BAD_REJECT (&room, TELNET_IAC TELNET_DO TELNET_ECHO, NULL);
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_WONT TELNET_ECHO, 3,
                                       HARNESS_TIMEOUT_MS));
    BAD_REJECT (&room, TELNET_IAC TELNET_WILL TELNET_LINEMODE, NULL);
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_DONT TELNET_LINEMODE, 3,
                                       HARNESS_TIMEOUT_MS));
    //  BINARY and SGA are agreed to, and were offered at connect
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_WILL TELNET_BINARY
                                       TELNET_IAC TELNET_DO TELNET_BINARY, 6,
                                       HARNESS_TIMEOUT_MS));
    BAD_REJECT (&room, TELNET_IAC TELNET_WILL TELNET_SGA, NULL);
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_DO TELNET_SGA, 3,
                                       HARNESS_TIMEOUT_MS));

    //  Negotiation in the middle of a line, split across two writes
    assert_int_equal (BAD_SEND (room.alice, "ab" TELNET_IAC), 0);
    assert_int_equal (BAD_SEND (room.alice, TELNET_DO TELNET_TTYPE "cd\r\n"), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: abcd", HARNESS_TIMEOUT_MS));
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_WONT TELNET_TTYPE, 3,
                                       HARNESS_TIMEOUT_MS));
    //  Split after IAC DO, before the option byte
    assert_int_equal (BAD_SEND (room.alice, "ef" TELNET_IAC TELNET_WILL), 0);
    assert_int_equal (BAD_SEND (room.alice, TELNET_NAWS "gh\r\n"), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: efgh", HARNESS_TIMEOUT_MS));
    assert_true (harness_expect_bytes (room.alice, TELNET_IAC TELNET_DONT TELNET_NAWS, 3,
                                       HARNESS_TIMEOUT_MS));

    //  Subnegotiation (NAWS 80x24) stripped whole, split inside it
    const char subneg1 [] = "x" TELNET_IAC TELNET_SB TELNET_NAWS "\x00\x50";
    const char subneg2 [] = "\x00\x18" TELNET_IAC TELNET_SE "y\r\n";
    assert_int_equal (harness_send_raw (room.alice, subneg1, sizeof subneg1 - 1), 0);
    assert_int_equal (harness_send_raw (room.alice, subneg2, sizeof subneg2 - 1), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: xy", HARNESS_TIMEOUT_MS));

    //  IAC IAC is a literal 0xFF: invalid UTF-8
    assert_non_null (harness_expect (room.carol, "[general] alice: xy", HARNESS_TIMEOUT_MS));
    harness_clear (room.bob);
    harness_clear (room.carol);
    BAD_REJECT (&room, "a" TELNET_IAC TELNET_IAC "b\r\n", BAD_UTF8);
    assert_int_equal (harness_received_count (room.bob, "\xff"), 0);
    assert_int_equal (harness_received_count (room.carol, "\xff"), 0);
}

//  The telnet offer opens every connection (before any line), unless
//  --no-telnet-offer: then a raw-socket client gets no 0xFF byte at all.
static void
test_telnet_offer_setting (void **state)
{
    harness_t *harness = *state;
    const char *quiet [] = { "--no-telnet-offer", NULL };
    harness_proc_t *router = harness_router_start (harness, NULL);
    assert_non_null (router);
    harness_proc_t *offering = harness_gateway_start (harness, router, "gw1", NULL);
    harness_proc_t *silent = harness_gateway_start (harness, router, "gw2", quiet);
    assert_non_null (offering);
    assert_non_null (silent);
    harness_client_t *telnet = harness_login (harness, offering);
    harness_client_t *raw = harness_login (harness, silent);
    assert_non_null (telnet);
    assert_non_null (raw);
    size_t size;
    const char *bytes = harness_client_raw (telnet, &size);
    assert_true (size > 6);
    assert_memory_equal (bytes, TELNET_IAC TELNET_WILL TELNET_BINARY
                                TELNET_IAC TELNET_DO TELNET_BINARY, 6);
    assert_null (memchr (bytes + 6, 0xFF, size - 6));
    bytes = harness_client_raw (raw, &size);
    assert_true (size > 0);
    assert_null (memchr (bytes, 0xFF, size));
    assert_int_equal (bytes [0], '*');
}

//  NUL, escape, BEL and other C0 controls reject the line; TAB becomes a
//  space.
static void
test_control_characters (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    BAD_REJECT (&room, "nul\0inside\r\n", BAD_CONTROL);
    BAD_REJECT (&room, "\x1b[31mred\r\n", BAD_CONTROL);
    BAD_REJECT (&room, "vt\x0b\r\n", BAD_CONTROL);
    BAD_REJECT (&room, "bell\a\n", BAD_CONTROL);
    BAD_REJECT (&room, "ff\x0c\n", BAD_CONTROL);
    assert_int_equal (harness_received_count (room.alice, BAD_CONTROL), 5);

    assert_int_equal (BAD_SEND (room.alice, "tab\there\r\n"), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: tab here", HARNESS_TIMEOUT_MS));
}

//  Every class of invalid UTF-8 is rejected; valid UTF-8 arrives intact.
static void
test_utf8 (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    const char *invalid [] = {
        "bad \xc3\x28 pair\r\n",            //  bad continuation
        "overlong \xc0\xaf\r\n",            //  overlong '/'
        "overlong3 \xe0\x80\xaf\r\n",       //  overlong in 3 bytes
        "surrogate \xed\xa0\x80\r\n",       //  U+D800
        "too big \xf4\x90\x80\x80\r\n",     //  U+110000
        "truncated \xe2\x9c\r\n",           //  2 of 3 bytes
        "stray \x80 continuation\r\n",
        "byte \xfe\r\n",
    };
    for (size_t index = 0; index < sizeof invalid / sizeof invalid [0]; index++)
        s_reject (&room, invalid [index], strlen (invalid [index]), BAD_UTF8);

    assert_int_equal (harness_send (room.alice, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: h\xc3\xa9llo \xe2\x9c\x93 "
                                     "\xf0\x9f\x98\x80", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (room.carol, "[general] alice: h\xc3\xa9llo \xe2\x9c\x93 "
                                     "\xf0\x9f\x98\x80", HARNESS_TIMEOUT_MS));
}

//  LF, CRLF, CR NUL and a bare CR all end a line (a CRLF split over two
//  writes is one end); empty and blank lines are ignored; BS and DEL
//  erase a character (a whole UTF-8 one), Ctrl+U and telnet EL the line,
//  telnet EC a character; Ctrl+D is dropped.
static void
test_line_ends (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    assert_int_equal (BAD_SEND (room.alice, "with lf\n"), 0);
    assert_int_equal (BAD_SEND (room.alice, "with crlf\r\n"), 0);
    assert_non_null (harness_expect (room.bob, "[general] alice: with lf", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (room.bob, "[general] alice: with crlf", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (room.carol, "[general] alice: with lf", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (room.carol, "[general] alice: with crlf",
                                     HARNESS_TIMEOUT_MS));
    harness_clear (room.bob);
    harness_clear (room.carol);
    BAD_REJECT (&room, "\r\n\n   \r\n\t\r\n", NULL);
    assert_int_equal (harness_received_prefix (room.alice, "!"), 0);

    assert_int_equal (BAD_SEND (room.alice, "bare cr\rcr nul\r\0split\r"), 0);
    assert_int_equal (BAD_SEND (room.alice, "\nde\x7fl\bx\r\n"), 0);
    assert_int_equal (BAD_SEND (room.alice, "\xe6\x9c\xac\x7f\xe6\x97\xa5\xe6\x9c\xac\n"), 0);
    assert_int_equal (BAD_SEND (room.alice, "junk\x15" "\x04kept" TELNET_IAC TELNET_EC "p\n"), 0);
    assert_int_equal (BAD_SEND (room.alice, "gone" TELNET_IAC TELNET_EL "\x04" "fine\n"), 0);
    const char *expected [] = {
        "[general] alice: bare cr", "[general] alice: cr nul", "[general] alice: split",
        "[general] alice: dx", "[general] alice: \xe6\x97\xa5\xe6\x9c\xac",
        "[general] alice: kepp", "[general] alice: fine",
    };
    for (size_t index = 0; index < sizeof expected / sizeof expected [0]; index++)
        assert_non_null (harness_expect (room.carol, expected [index], HARNESS_TIMEOUT_MS));
    harness_client_t *receivers [] = { room.bob, room.carol };
    assert_true (harness_marker (room.alice, "general", receivers, 2));
    //  Nothing else: no empty line from the split CRLF, no rejection
    //  (2 lines and a marker before, 7 lines and a marker now)
    assert_int_equal (harness_received_prefix (room.carol, "[general] alice:"), 11);
    assert_int_equal (harness_received_prefix (room.alice, "!"), 0);
}

//  A burst of binary garbage does not crash anything; the others keep
//  chatting, and so does a new client.
static void
test_garbage (void **state)
{
    harness_t *harness = *state;
    s_room_t room;
    s_room (harness, &room);

    char *garbage = malloc (BAD_GARBAGE_SIZE);
    assert_non_null (garbage);
    //  xorshift32: the same garbage every run
    uint32_t seed = BAD_GARBAGE_SEED;
    for (size_t index = 0; index < BAD_GARBAGE_SIZE; index++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        garbage [index] = (char) (seed & 0xff);
    }
    //  The gateway may close alice; either way the write must not hang
    harness_send_raw (room.alice, garbage, BAD_GARBAGE_SIZE);
    free (garbage);

    assert_true (harness_marker (room.bob, "general", &room.carol, 1));
    assert_true (harness_marker (room.carol, "general", &room.bob, 1));
}

//  Invalid room names each get their reason.
static void
test_invalid_rooms (void **state)
{
    s_room_t room;
    s_room (*state, &room);

    struct {
        const char *input;
        const char *reply;
    } cases [] = {
        { "/join bad.room", BAD_ROOM_CHARACTER },
        { "/join r\xc3\xbcst", BAD_ROOM_CHARACTER },
        { "/join #", "! invalid room name: empty" },
        { "/join abcdefghijabcdefghijabcdefghijabc",
          "! invalid room name: too long (max 32 characters)" },
        { "/join $ctl", BAD_ROOM_CHARACTER },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        assert_int_equal (harness_send (room.alice, "%s", cases [index].input), 0);
        assert_non_null (harness_expect (room.alice, cases [index].reply, HARNESS_TIMEOUT_MS));
    }
    s_nothing_broadcast (&room);
    //  Still in general; a room may start with a digit, 32 characters fit
    assert_true (harness_join (room.alice, "9lives"));
    assert_true (harness_join (room.alice, "abcdefghijabcdefghijabcdefghij-_"));
}

//  A client that vanishes with a reset is announced as gone, and the
//  gateway keeps serving old and new clients.
static void
test_reset (void **state)
{
    harness_t *harness = *state;
    s_room_t room;
    s_room (harness, &room);

    harness_client_reset (room.carol);
    assert_non_null (harness_expect_sub (room.bob, "* carol left #general (",
                                         HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect_sub (room.alice, "* carol left #general (",
                                         HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (room.bob, "general", &room.alice, 1));
    assert_int_equal (harness_send (room.alice, "/who"), 0);
    assert_non_null (harness_expect (room.alice, "* #general (2): alice, bob",
                                     HARNESS_TIMEOUT_MS));
    //  New clients are still welcome on the same gateway
    harness_client_t *dave = harness_login (harness, room.gateways [0]);
    assert_non_null (dave);
    assert_true (harness_marker (dave, "general", &room.bob, 1));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_line_length, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_telnet, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_telnet_offer_setting, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_control_characters, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_utf8, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_line_ends, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_garbage, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_invalid_rooms, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_reset, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    test_telnet.c - telnet negotiation: BINARY and SGA agreed, the rest refused

    Besides the single cases, every input is also fed split at every byte
    boundary (and one byte at a time): the filter must give the same data
    and the same replies however the bytes arrive.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "telnet.h"

#define IAC     "\xff"
#define WILL    "\xfb"
#define WONT    "\xfc"
#define DO      "\xfd"
#define DONT    "\xfe"
#define SB      "\xfa"
#define SE      "\xf0"
#define NOP     "\xf1"
#define ECHO    "\x01"
#define NAWS    "\x1f"
#define TTYPE   "\x18"
#define BINARY  "\x00"
#define SGA     "\x03"
#define LINEMODE "\x22"
#define EC      "\xf7"
#define EL      "\xf8"

typedef struct {
    char data [256];
    size_t data_size;
    char replies [256];
    size_t replies_size;
} s_result_t;

static void
s_reply (void *arg, const uint8_t *reply, size_t size)
{
    s_result_t *result = (s_result_t *) arg;
    assert_int_equal (size, TELNET_REPLY_SIZE);
    assert_true (result->replies_size + size <= sizeof (result->replies));
    memcpy (result->replies + result->replies_size, reply, size);
    result->replies_size += size;
}

//  Feed input in pieces cut at the given offsets (sorted, may be empty).
static void
s_feed (telnet_t *telnet, const char *input, size_t size, const size_t *cuts,
        size_t cut_count, s_result_t *result)
{
    size_t start = 0;
    for (size_t index = 0; index <= cut_count; index++) {
        size_t end = index < cut_count? cuts [index]: size;
        uint8_t piece [256];
        memcpy (piece, input + start, end - start);
        size_t kept = telnet_filter (telnet, piece, end - start, s_reply, result);
        assert_true (kept <= end - start);
        memcpy (result->data + result->data_size, piece, kept);
        result->data_size += kept;
        start = end;
    }
}

//  Whole, split at each single boundary, split at every byte: all equal.
//  Each run starts from a copy of start (NULL: a fresh filter).
static void
s_expect_from (const telnet_t *start, const char *input, size_t size, const char *data,
               size_t data_size, const char *replies, size_t replies_size)
{
    telnet_t initial;
    telnet_init (&initial);
    if (start)
        initial = *start;
    s_result_t whole = { 0 };
    telnet_t telnet = initial;
    s_feed (&telnet, input, size, NULL, 0, &whole);
    assert_int_equal (whole.data_size, data_size);
    assert_memory_equal (whole.data, data, data_size);
    assert_int_equal (whole.replies_size, replies_size);
    if (replies_size)
        assert_memory_equal (whole.replies, replies, replies_size);

    for (size_t cut = 1; cut < size; cut++) {
        s_result_t split = { 0 };
        telnet = initial;
        s_feed (&telnet, input, size, &cut, 1, &split);
        assert_int_equal (split.data_size, data_size);
        assert_memory_equal (split.data, data, data_size);
        assert_int_equal (split.replies_size, replies_size);
        if (replies_size)
            assert_memory_equal (split.replies, replies, replies_size);
    }
    size_t cuts [256];
    for (size_t cut = 1; cut < size; cut++)
        cuts [cut - 1] = cut;
    s_result_t bytes = { 0 };
    telnet = initial;
    s_feed (&telnet, input, size, cuts, size? size - 1: 0, &bytes);
    assert_int_equal (bytes.data_size, data_size);
    assert_memory_equal (bytes.data, data, data_size);
    assert_int_equal (bytes.replies_size, replies_size);
    if (replies_size)
        assert_memory_equal (bytes.replies, replies, replies_size);
}

#define EXPECT_FROM(start, input, data, replies) \
    s_expect_from (start, input, sizeof (input) - 1, data, sizeof (data) - 1, replies, \
                   sizeof (replies) - 1)
#define EXPECT(input, data, replies) EXPECT_FROM (NULL, input, data, replies)

static void
test_plain_data (void **state)
{
    (void) state;
    EXPECT ("hello\r\n", "hello\r\n", "");
    EXPECT ("caf\xc3\xa9\n", "caf\xc3\xa9\n", "");
}

static void
test_iac_iac_is_data (void **state)
{
    (void) state;
    EXPECT ("a" IAC IAC "b", "a" IAC "b", "");
    EXPECT (IAC IAC IAC IAC, IAC IAC, "");
}

static void
test_options_refused (void **state)
{
    (void) state;
    EXPECT (IAC DO ECHO "hi", "hi", IAC WONT ECHO);
    EXPECT (IAC WILL NAWS "hi", "hi", IAC DONT NAWS);
    //  WONT and DONT need no answer
    EXPECT ("x" IAC WONT ECHO IAC DONT ECHO "y", "xy", "");
    //  A typical telnet client opening
    EXPECT (IAC DO ECHO IAC WILL NAWS IAC WILL TTYPE "nick\r\n", "nick\r\n",
            IAC WONT ECHO IAC DONT NAWS IAC DONT TTYPE);
    //  The option byte may itself be 255
    EXPECT (IAC DO IAC "z", "z", IAC WONT IAC);
    //  LINEMODE (what telnet proposes on port 23) and TIMING-MARK
    EXPECT (IAC WILL LINEMODE IAC DO "\x06", "", IAC DONT LINEMODE IAC WONT "\x06");
    //  However often it is asked: one refusal per request, nothing more
    EXPECT (IAC DO ECHO IAC DO ECHO, "", IAC WONT ECHO IAC WONT ECHO);
}

static void
test_binary_and_sga_agreed (void **state)
{
    (void) state;
    EXPECT (IAC DO BINARY "a", "a", IAC WILL BINARY);
    EXPECT (IAC WILL BINARY "a", "a", IAC DO BINARY);
    EXPECT (IAC DO SGA, "", IAC WILL SGA);
    EXPECT (IAC WILL SGA, "", IAC DO SGA);
    //  Both sides of both, as "mode character" and "-8" ask
    EXPECT (IAC DO SGA IAC WILL SGA IAC DO BINARY IAC WILL BINARY, "",
            IAC WILL SGA IAC DO SGA IAC WILL BINARY IAC DO BINARY);
    //  Asked again while on: no answer (an answer to an answer would loop)
    EXPECT (IAC DO BINARY IAC DO BINARY IAC WILL SGA IAC WILL SGA, "",
            IAC WILL BINARY IAC DO SGA);
    //  Switched off again: acknowledged once; off while off: nothing
    EXPECT (IAC DO BINARY IAC DONT BINARY IAC DONT BINARY, "", IAC WILL BINARY IAC WONT BINARY);
    EXPECT (IAC WILL SGA IAC WONT SGA IAC WONT SGA, "", IAC DO SGA IAC DONT SGA);
    EXPECT (IAC DONT BINARY IAC WONT BINARY IAC DONT SGA IAC WONT SGA, "", "");

    telnet_t telnet;
    telnet_init (&telnet);
    uint8_t input [] = { 0xff, 0xfd, 0x00, 0xff, 0xfb, 0x03 };
    assert_false (telnet_local (&telnet, TELNET_BINARY));
    assert_int_equal (telnet_filter (&telnet, input, sizeof (input), NULL, NULL), 0);
    assert_true (telnet_local (&telnet, TELNET_BINARY));
    assert_false (telnet_remote (&telnet, TELNET_BINARY));
    assert_true (telnet_remote (&telnet, TELNET_SGA));
    assert_false (telnet_local (&telnet, TELNET_SGA));
    assert_false (telnet_local (&telnet, 1));           //  ECHO: never
}

static void
test_offer (void **state)
{
    (void) state;
    telnet_t telnet;
    telnet_init (&telnet);
    s_result_t offer = { 0 };
    telnet_offer (&telnet, s_reply, &offer);
    assert_int_equal (offer.replies_size, 6);
    assert_memory_equal (offer.replies, IAC WILL BINARY IAC DO BINARY, 6);
    //  Asked once: a second offer says nothing
    telnet_offer (&telnet, s_reply, &offer);
    assert_int_equal (offer.replies_size, 6);
    assert_false (telnet_local (&telnet, TELNET_BINARY));

    //  The peer agrees (in either order, split anywhere): no reply
    EXPECT_FROM (&telnet, IAC DO BINARY IAC WILL BINARY "hi", "hi", "");
    EXPECT_FROM (&telnet, IAC WILL BINARY "x" IAC DO BINARY, "x", "");
    //  The peer refuses: no reply either, and asking later still works
    EXPECT_FROM (&telnet, IAC DONT BINARY IAC WONT BINARY, "", "");
    EXPECT_FROM (&telnet, IAC DONT BINARY IAC WONT BINARY IAC DO BINARY, "", IAC WILL BINARY);
    //  Its own opening next to its answers (telnet to port 23)
    EXPECT_FROM (&telnet, IAC DO BINARY IAC WILL BINARY IAC DO ECHO IAC WILL LINEMODE, "",
                 IAC WONT ECHO IAC DONT LINEMODE);

    uint8_t answer [] = { 0xff, 0xfd, 0x00, 0xff, 0xfb, 0x00 };
    assert_int_equal (telnet_filter (&telnet, answer, sizeof (answer), s_reply, &offer), 0);
    assert_int_equal (offer.replies_size, 6);
    assert_true (telnet_local (&telnet, TELNET_BINARY));
    assert_true (telnet_remote (&telnet, TELNET_BINARY));
    //  The offer with a NULL reply is allowed and changes the state alike
    telnet_init (&telnet);
    telnet_offer (&telnet, NULL, NULL);
    EXPECT_FROM (&telnet, IAC DO BINARY, "", "");
}

//  Two filters answering each other, both offering at once: negotiation
//  settles after a round or two and never loops.
static void
test_no_negotiation_loop (void **state)
{
    (void) state;
    telnet_t one, two;
    telnet_init (&one);
    telnet_init (&two);
    s_result_t to_two = { 0 }, to_one = { 0 };
    telnet_offer (&one, s_reply, &to_two);
    telnet_offer (&two, s_reply, &to_one);
    int rounds = 0;
    while (to_two.replies_size || to_one.replies_size) {
        assert_true (++rounds < 4);
        s_result_t next_two = { 0 }, next_one = { 0 };
        uint8_t bytes [256];
        memcpy (bytes, to_two.replies, to_two.replies_size);
        assert_int_equal (telnet_filter (&two, bytes, to_two.replies_size, s_reply, &next_one), 0);
        memcpy (bytes, to_one.replies, to_one.replies_size);
        assert_int_equal (telnet_filter (&one, bytes, to_one.replies_size, s_reply, &next_two), 0);
        to_two = next_two;
        to_one = next_one;
    }
    assert_true (telnet_local (&one, TELNET_BINARY) && telnet_remote (&one, TELNET_BINARY));
    assert_true (telnet_local (&two, TELNET_BINARY) && telnet_remote (&two, TELNET_BINARY));
}

static void
test_editing_commands (void **state)
{
    (void) state;
    //  EC and EL become the bytes a keyboard sends: DEL and Ctrl+U
    EXPECT ("ab" IAC EC "c" IAC EL "d\r\n", "ab\x7f" "c\x15" "d\r\n", "");
    EXPECT (IAC EC IAC EC, "\x7f\x7f", "");
    //  Other commands still vanish: IP, AO, AYT, BRK, DM
    EXPECT ("a" IAC "\xf4" IAC "\xf5" IAC "\xf6" IAC "\xf3" IAC "\xf2" "b", "ab", "");
}

static void
test_subnegotiation_stripped (void **state)
{
    (void) state;
    EXPECT ("a" IAC SB NAWS "\x00\x50\x00\x18" IAC SE "b", "ab", "");
    //  IAC IAC inside SB is an escaped 255, not the end
    EXPECT (IAC SB TTYPE "\x00" IAC IAC "xterm" IAC SE "ok", "ok", "");
    //  Bytes that look like commands inside SB are ignored
    EXPECT (IAC SB TTYPE IAC DO ECHO IAC SE "ok", "ok", "");
}

static void
test_other_commands_dropped (void **state)
{
    (void) state;
    EXPECT ("a" IAC NOP "b" IAC "\xf9" "c", "abc", "");      //  NOP, GA
}

static void
test_state_survives_reads (void **state)
{
    (void) state;
    telnet_t telnet;
    telnet_init (&telnet);
    s_result_t result = { 0 };
    uint8_t first [] = { 'a', 0xff };
    uint8_t second [] = { 0xfd };
    uint8_t third [] = { 0x01, 'b' };
    size_t kept = telnet_filter (&telnet, first, sizeof (first), s_reply, &result);
    assert_int_equal (kept, 1);
    assert_int_equal (telnet_filter (&telnet, second, sizeof (second), s_reply, &result), 0);
    assert_int_equal (result.replies_size, 0);
    kept = telnet_filter (&telnet, third, sizeof (third), s_reply, &result);
    assert_int_equal (kept, 1);
    assert_int_equal (third [0], 'b');
    assert_memory_equal (result.replies, IAC WONT ECHO, 3);
    //  NULL reply callback is allowed
    uint8_t fourth [] = { 0xff, 0xfd, 0x01, 'c' };
    assert_int_equal (telnet_filter (&telnet, fourth, sizeof (fourth), NULL, NULL), 1);
    assert_int_equal (fourth [0], 'c');
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_plain_data),
        cmocka_unit_test (test_iac_iac_is_data),
        cmocka_unit_test (test_options_refused),
        cmocka_unit_test (test_binary_and_sga_agreed),
        cmocka_unit_test (test_offer),
        cmocka_unit_test (test_no_negotiation_loop),
        cmocka_unit_test (test_editing_commands),
        cmocka_unit_test (test_subnegotiation_stripped),
        cmocka_unit_test (test_other_commands_dropped),
        cmocka_unit_test (test_state_survives_reads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

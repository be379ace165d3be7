/*  =========================================================================
    test_telnet.c - strip and refuse telnet negotiation

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
static void
s_expect (const char *input, size_t size, const char *data, size_t data_size,
          const char *replies, size_t replies_size)
{
    s_result_t whole = { 0 };
    telnet_t telnet;
    telnet_init (&telnet);
    s_feed (&telnet, input, size, NULL, 0, &whole);
    assert_int_equal (whole.data_size, data_size);
    assert_memory_equal (whole.data, data, data_size);
    assert_int_equal (whole.replies_size, replies_size);
    if (replies_size)
        assert_memory_equal (whole.replies, replies, replies_size);

    for (size_t cut = 1; cut < size; cut++) {
        s_result_t split = { 0 };
        telnet_init (&telnet);
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
    telnet_init (&telnet);
    s_feed (&telnet, input, size, cuts, size? size - 1: 0, &bytes);
    assert_int_equal (bytes.data_size, data_size);
    assert_memory_equal (bytes.data, data, data_size);
    assert_int_equal (bytes.replies_size, replies_size);
}

#define EXPECT(input, data, replies) \
    s_expect (input, sizeof (input) - 1, data, sizeof (data) - 1, replies, sizeof (replies) - 1)

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
        cmocka_unit_test (test_subnegotiation_stripped),
        cmocka_unit_test (test_other_commands_dropped),
        cmocka_unit_test (test_state_survives_reads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

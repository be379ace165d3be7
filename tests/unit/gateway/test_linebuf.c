/*  =========================================================================
    test_linebuf.c - split bytes into lines with a hard cap

    A small recorder stands in for the client: it collects each line (or
    "TOO_LONG") into one string, and can answer "again" or "stop" on
    request. The cap in most tests is 8 bytes. Line ends and editing are
    also fed split at every byte boundary and one byte at a time: the
    lines must come out the same however the bytes arrive.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "linebuf.h"

#define MAX_LINE 8

typedef struct {
    char log [1024];            //  "line|line|TOO_LONG|..."
    int calls;                  //  callback calls
    int again_at;               //  answer AGAIN on this call (1-based), 0 never
    int stop_at;                //  answer STOP on this call, 0 never
} s_recorder_t;

static int
s_on_line (void *arg, char *line, size_t size, int status)
{
    s_recorder_t *self = (s_recorder_t *) arg;
    self->calls++;
    if (self->again_at == self->calls) {
        self->again_at = 0;
        return LINEBUF_AGAIN;
    }
    if (status == LINEBUF_TOO_LONG) {
        assert_null (line);
        strcat (self->log, "TOO_LONG|");
    }
    else {
        //  A NUL in a line is logged as "\0"
        for (size_t index = 0; index < size; index++)
            if (line [index])
                strncat (self->log, line + index, 1);
            else
                strcat (self->log, "\\0");
        strcat (self->log, "|");
    }
    if (self->stop_at == self->calls)
        return LINEBUF_STOP;
    return LINEBUF_CONTINUE;
}

//  Feed bytes (copied: linebuf may write in place).
static int
s_feed_bytes (linebuf_t *linebuf, const char *bytes, size_t size, s_recorder_t *recorder)
{
    char buffer [256];
    assert_true (size <= sizeof (buffer));
    memcpy (buffer, bytes, size);
    return linebuf_feed (linebuf, buffer, size, MAX_LINE, s_on_line, recorder);
}

//  Feed a string literal.
static int
s_feed (linebuf_t *linebuf, const char *text, s_recorder_t *recorder)
{
    return s_feed_bytes (linebuf, text, strlen (text), recorder);
}

//  Feed input whole, in two reads cut at every offset, and one byte per
//  read: each time the log is expected and nothing stays waiting but
//  waiting bytes (the size of the partial line left at the end).
static void
s_expect_splits (const char *input, size_t size, const char *expected, size_t waiting)
{
    for (size_t cut = 0; cut <= size + 1; cut++) {
        linebuf_t linebuf;
        linebuf_init (&linebuf);
        s_recorder_t recorder = { 0 };
        if (cut <= size) {
            assert_int_equal (s_feed_bytes (&linebuf, input, cut, &recorder), LINEBUF_CONTINUE);
            assert_int_equal (s_feed_bytes (&linebuf, input + cut, size - cut, &recorder),
                              LINEBUF_CONTINUE);
        }
        else
            for (size_t index = 0; index < size; index++)
                assert_int_equal (s_feed_bytes (&linebuf, input + index, 1, &recorder),
                                  LINEBUF_CONTINUE);
        if (strcmp (recorder.log, expected))
            fail_msg ("cut %zu of %zu: got \"%s\", expected \"%s\"", cut, size,
                      recorder.log, expected);
        assert_int_equal (linebuf_size (&linebuf), waiting);
        linebuf_reset (&linebuf);
    }
}

#define EXPECT(input, expected) s_expect_splits (input, sizeof (input) - 1, expected, 0)

static void
test_lines_and_line_ends (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    assert_int_equal (s_feed (&linebuf, "one\ntwo\r\nthree", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "one|two|");
    assert_int_equal (linebuf_size (&linebuf), 5);          //  "three" waits
    assert_int_equal (s_feed (&linebuf, "\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "one|two|three|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    assert_null (linebuf.data);                             //  freed when empty
    linebuf_reset (&linebuf);
}

static void
test_empty_lines (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    assert_int_equal (s_feed (&linebuf, "\n\r\n\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "|||");
    assert_int_equal (recorder.calls, 3);
    linebuf_reset (&linebuf);
}

static void
test_every_line_end (void **state)
{
    (void) state;
    //  LF, CR LF, CR NUL (telnet's bare CR) and a bare CR: one end each
    EXPECT ("lf\ncrlf\r\ncrnul\r\0cr\rx\n", "lf|crlf|crnul|cr|x|");
    //  CR LF never makes an extra empty line, however it is split
    EXPECT ("a\r\nb\r\n", "a|b|");
    //  Two CRs are two ends; CR CR LF is a line and an empty line
    EXPECT ("a\r\r\n", "a||");
    //  LF CR: the CR is a second end (an empty line); LF LF likewise
    EXPECT ("a\n\rb\n\n", "a||b||");
    //  A NUL that does not follow a CR stays in the line (text.c rejects it)
    EXPECT ("a\0b\n\n\0\n", "a\\0b||\\0|");
    //  CR NUL NUL: the second NUL starts the next line
    EXPECT ("a\r\0\0\n", "a|\\0|");
}

static void
test_cr_state_across_reads (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    //  The CR ends the line at once; its LF may come reads later
    assert_int_equal (s_feed (&linebuf, "hello\r", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "hello|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    assert_int_equal (s_feed (&linebuf, "\n", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (recorder.calls, 1);
    //  CR, then NUL in the next read
    assert_int_equal (s_feed (&linebuf, "x\r", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed_bytes (&linebuf, "\0y\n", 3, &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "hello|x|y|");
    //  CR, then a byte that is no line end: it starts the next line
    assert_int_equal (s_feed (&linebuf, "z\r", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "w\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "hello|x|y|z|w|");
    linebuf_reset (&linebuf);
}

static void
test_editing (void **state)
{
    (void) state;
    EXPECT ("ab\bc\n", "ac|");
    EXPECT ("ab\x7f" "c\n", "ac|");
    //  At the start of a line there is nothing to erase
    EXPECT ("\b\x7fx\n", "x|");
    EXPECT ("a\n\bb\n", "a|b|");
    //  A whole UTF-8 character: 2, 3 and 4 bytes
    EXPECT ("x\xc3\xa9\b\n", "x|");
    EXPECT ("\xe6\x9c\xac\x7f\xe6\x97\xa5\n", "\xe6\x97\xa5|");          //  本 DEL 日
    EXPECT ("\xe6\x97\xa5\xe6\x9c\xac\b\xea\xb5\xad\n", "\xe6\x97\xa5\xea\xb5\xad|");  //  日本 BS 국
    EXPECT ("\xf0\x9f\x98\x80\b!\n", "!|");
    //  Stray or truncated bytes go one at a time
    EXPECT ("x\x80\x80\b\n", "x\x80|");
    EXPECT ("x\xe6\x9c\b\n", "x\xe6|");
    EXPECT ("\xbf\xbf\xbf\xbf\xbf\b\n", "\xbf\xbf\xbf\xbf|");
    //  Ctrl+U erases the line
    EXPECT ("abc\x15xy\n", "xy|");
    EXPECT ("abc\x15\n", "|");
    //  Ctrl+D is dropped: it cannot poison this line or the next
    EXPECT ("a\x04" "b\n\x04" "c\n", "ab|c|");
    EXPECT ("\x04\n", "|");
    //  Other controls stay, for text.c to reject
    EXPECT ("\x1b[A\n", "\x1b[A|");
}

static void
test_editing_across_reads (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    //  The erased character waits from an earlier read
    assert_int_equal (s_feed (&linebuf, "ab\xe6\x9c\xac", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (linebuf_size (&linebuf), 5);
    assert_int_equal (s_feed (&linebuf, "\x7f", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (linebuf_size (&linebuf), 2);
    assert_int_equal (s_feed (&linebuf, "\b\bc\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "c|");
    assert_null (linebuf.data);
    //  A character split between the waiting bytes and this read
    assert_int_equal (s_feed (&linebuf, "d\xe6\x9c", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "\xac\x7f\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "c|d|");
    //  Erasing everything that waited frees it
    assert_int_equal (s_feed (&linebuf, "xy", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "\b\b", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (linebuf_size (&linebuf), 0);
    assert_null (linebuf.data);
    assert_int_equal (s_feed (&linebuf, "abc", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "\x15", &recorder), LINEBUF_CONTINUE);
    assert_null (linebuf.data);
    assert_int_equal (s_feed (&linebuf, "e\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "c|d|e|");
    linebuf_reset (&linebuf);
}

static void
test_editing_and_the_cap (void **state)
{
    (void) state;
    //  Never more than MAX_LINE bytes: fine
    EXPECT ("12345678\b9\n", "12345679|");
    EXPECT ("1234567\xe6\x9c\xac\n", "TOO_LONG|");         //  7 + 3 bytes
    EXPECT ("123456\xc3\xa9\n", "123456\xc3\xa9|");        //  6 + 2 bytes
    //  Past it once: gone, an erase does not bring it back
    EXPECT ("123456789\b\nok\n", "TOO_LONG|ok|");
    //  The CR of a line at the cap ends it (also split off in another read)
    EXPECT ("12345678\r\nok\r\n", "12345678|ok|");
    EXPECT ("12345678\r\0ok\r", "12345678|ok|");
    //  The dropped line ends at any line end, CR included
    EXPECT ("123456789abc\rok\n", "TOO_LONG|ok|");
    EXPECT ("123456789abc\r\nok\n", "TOO_LONG|ok|");
    //  Editing inside the dropped part does nothing
    EXPECT ("123456789\x15\x7f\nok\n", "TOO_LONG|ok|");
}

static void
test_at_the_cap (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    //  Exactly MAX_LINE bytes, whole and with CRLF, and byte by byte
    assert_int_equal (s_feed (&linebuf, "12345678\n", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "abcdefgh\r\n", &recorder), LINEBUF_CONTINUE);
    const char *pieces [] = { "ABCD", "EFGH", "\r", "\n" };
    for (size_t index = 0; index < 4; index++)
        assert_int_equal (s_feed (&linebuf, pieces [index], &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "12345678|abcdefgh|ABCDEFGH|");
    linebuf_reset (&linebuf);
}

static void
test_one_over_the_cap (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    //  In one read: reported once, the next line is fine
    assert_int_equal (s_feed (&linebuf, "123456789\nok\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|ok|");
    //  Nine bytes then CRLF split: the CR does not excuse the ninth byte
    recorder = (s_recorder_t) { 0 };
    assert_int_equal (s_feed (&linebuf, "123456789\r", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "\nok\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|ok|");
    //  Built up over reads past the cap
    recorder = (s_recorder_t) { 0 };
    assert_int_equal (s_feed (&linebuf, "12345", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "6789\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    linebuf_reset (&linebuf);
}

static void
test_no_line_end_for_long (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    //  A flood without LF: reported once, nothing kept, dropped to the LF
    assert_int_equal (s_feed (&linebuf, "aaaaaaaaaaaa", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    for (int round = 0; round < 100; round++)
        assert_int_equal (s_feed (&linebuf, "bbbbbbbbbbbbbbbbbbbb", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (recorder.calls, 1);
    assert_int_equal (linebuf_size (&linebuf), 0);
    assert_int_equal (s_feed (&linebuf, "bbb\nafter\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|after|");
    //  Partial growing past the cap (8 + CR allowed, 9 + x not)
    recorder = (s_recorder_t) { 0 };
    assert_int_equal (s_feed (&linebuf, "12345678", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (recorder.calls, 0);
    assert_int_equal (s_feed (&linebuf, "x", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|");
    assert_int_equal (s_feed (&linebuf, "yyyy\nz\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "TOO_LONG|z|");
    linebuf_reset (&linebuf);
}

static void
test_again_holds_and_resumes (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { .again_at = 2 };
    assert_int_equal (s_feed (&linebuf, "one\ntwo\nthree\npart", &recorder), LINEBUF_AGAIN);
    assert_string_equal (recorder.log, "one|");
    assert_true (linebuf_held (&linebuf));
    //  More bytes while held are kept in order
    assert_int_equal (s_feed (&linebuf, "ial\n", &recorder), LINEBUF_AGAIN);
    assert_int_equal (recorder.calls, 2);
    //  Refused again on resume
    recorder.again_at = 3;
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_AGAIN);
    assert_true (linebuf_held (&linebuf));
    assert_string_equal (recorder.log, "one|");
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    assert_false (linebuf_held (&linebuf));
    assert_string_equal (recorder.log, "one|two|three|partial|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    //  Nothing held: resume is a no-op
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    linebuf_reset (&linebuf);
}

static void
test_again_on_joined_line (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { .again_at = 1 };
    assert_int_equal (s_feed (&linebuf, "ab", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "c\nd\ne", &recorder), LINEBUF_AGAIN);
    assert_int_equal (recorder.calls, 1);
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "abc|d|");
    assert_int_equal (linebuf_size (&linebuf), 1);          //  "e"
    assert_int_equal (s_feed (&linebuf, "\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "abc|d|e|");
    linebuf_reset (&linebuf);
}

static void
test_again_keeps_line_ends_and_edits (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    //  Held on a line ended by CR whose LF follows: no extra empty line
    s_recorder_t recorder = { .again_at = 1 };
    assert_int_equal (s_feed (&linebuf, "ab\bc\r\nxy\x7fz\r", &recorder), LINEBUF_AGAIN);
    assert_int_equal (recorder.calls, 1);
    //  The LF of the last CR comes while held
    assert_int_equal (s_feed (&linebuf, "\n", &recorder), LINEBUF_AGAIN);
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "ac|xz|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    //  Held on a line ended by CR whose LF comes after the resume
    recorder = (s_recorder_t) { .again_at = 1 };
    assert_int_equal (s_feed (&linebuf, "one\rtw", &recorder), LINEBUF_AGAIN);
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "one|");
    assert_int_equal (linebuf_size (&linebuf), 2);          //  "tw" waits
    assert_int_equal (s_feed (&linebuf, "\b\bn\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "one|n|");
    //  An empty line held, then given
    recorder = (s_recorder_t) { .again_at = 1 };
    assert_int_equal (s_feed (&linebuf, "\r\r\0", &recorder), LINEBUF_AGAIN);
    assert_int_equal (linebuf_resume (&linebuf, MAX_LINE, s_on_line, &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "||");
    linebuf_reset (&linebuf);
}

static void
test_stop_discards (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { .stop_at = 1 };
    assert_int_equal (s_feed (&linebuf, "quit\nmore\ntail", &recorder), LINEBUF_STOP);
    assert_string_equal (recorder.log, "quit|");
    assert_int_equal (linebuf_size (&linebuf), 0);
    assert_false (linebuf_held (&linebuf));
    linebuf_reset (&linebuf);
    linebuf_reset (&linebuf);                               //  twice is harmless
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_lines_and_line_ends),
        cmocka_unit_test (test_empty_lines),
        cmocka_unit_test (test_every_line_end),
        cmocka_unit_test (test_cr_state_across_reads),
        cmocka_unit_test (test_editing),
        cmocka_unit_test (test_editing_across_reads),
        cmocka_unit_test (test_editing_and_the_cap),
        cmocka_unit_test (test_at_the_cap),
        cmocka_unit_test (test_one_over_the_cap),
        cmocka_unit_test (test_no_line_end_for_long),
        cmocka_unit_test (test_again_holds_and_resumes),
        cmocka_unit_test (test_again_on_joined_line),
        cmocka_unit_test (test_again_keeps_line_ends_and_edits),
        cmocka_unit_test (test_stop_discards),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

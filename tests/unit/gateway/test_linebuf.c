/*  =========================================================================
    test_linebuf.c - split bytes into lines with a hard cap

    A small recorder stands in for the client: it collects each line (or
    "TOO_LONG") into one string, and can answer "again" or "stop" on
    request. The cap in most tests is 8 bytes.
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
        strncat (self->log, line, size);
        strcat (self->log, "|");
    }
    if (self->stop_at == self->calls)
        return LINEBUF_STOP;
    return LINEBUF_CONTINUE;
}

//  Feed a literal (copied: linebuf may write in place).
static int
s_feed (linebuf_t *linebuf, const char *text, s_recorder_t *recorder)
{
    char buffer [256];
    size_t size = strlen (text);
    memcpy (buffer, text, size);
    return linebuf_feed (linebuf, buffer, size, MAX_LINE, s_on_line, recorder);
}

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
test_lone_cr_stays (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    assert_int_equal (s_feed (&linebuf, "a\rb\n\r\r\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "a\rb|\r|");
    linebuf_reset (&linebuf);
}

static void
test_crlf_split_between_reads (void **state)
{
    (void) state;
    linebuf_t linebuf;
    linebuf_init (&linebuf);
    s_recorder_t recorder = { 0 };
    assert_int_equal (s_feed (&linebuf, "hello\r", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (recorder.calls, 0);
    assert_int_equal (s_feed (&linebuf, "\nnext", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "hello|");
    //  A line assembled from three reads
    assert_int_equal (s_feed (&linebuf, "-", &recorder), LINEBUF_CONTINUE);
    assert_int_equal (s_feed (&linebuf, "x\r\nz\n", &recorder), LINEBUF_CONTINUE);
    assert_string_equal (recorder.log, "hello|next-x|z|");
    linebuf_reset (&linebuf);
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
        cmocka_unit_test (test_lone_cr_stays),
        cmocka_unit_test (test_crlf_split_between_reads),
        cmocka_unit_test (test_at_the_cap),
        cmocka_unit_test (test_one_over_the_cap),
        cmocka_unit_test (test_no_line_end_for_long),
        cmocka_unit_test (test_again_holds_and_resumes),
        cmocka_unit_test (test_again_on_joined_line),
        cmocka_unit_test (test_stop_discards),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

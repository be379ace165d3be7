/*  =========================================================================
    test_text.c - what a client line may contain

    One test per class of bad input from docs/PROTOCOL.md, plus the valid
    multibyte forms at the edges of each UTF-8 range.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "text.h"

//  Check a copy of a literal (text_check writes in place).
static text_status_t
s_check (const char *literal, size_t size, char *out)
{
    char buffer [64];
    assert_true (size <= sizeof (buffer));
    memcpy (buffer, literal, size);
    text_status_t status = text_check (buffer, size);
    if (out)
        memcpy (out, buffer, size);
    return status;
}

#define CHECK(literal) s_check (literal, sizeof (literal) - 1, NULL)

static void
test_ascii_and_tab (void **state)
{
    (void) state;
    assert_int_equal (CHECK ("hello world"), TEXT_OK);
    assert_int_equal (CHECK (""), TEXT_OK);
    char out [8];
    assert_int_equal (s_check ("a\tb\t", 4, out), TEXT_OK);
    assert_memory_equal (out, "a b ", 4);
    assert_int_equal (CHECK ("~ printable !"), TEXT_OK);
}

static void
test_control_characters (void **state)
{
    (void) state;
    assert_int_equal (CHECK ("a\rb"), TEXT_CONTROL);        //  stray CR
    assert_int_equal (s_check ("a\0b", 3, NULL), TEXT_CONTROL);
    assert_int_equal (CHECK ("\x1b[31mred"), TEXT_CONTROL);  //  ESC
    assert_int_equal (CHECK ("del\x7f"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\x01"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\x1f"), TEXT_CONTROL);
    assert_int_equal (CHECK ("bell\a"), TEXT_CONTROL);
    //  Control wins over invalid UTF-8 when a line has both
    assert_int_equal (CHECK ("\xff\x01"), TEXT_CONTROL);
}

static void
test_valid_multibyte (void **state)
{
    (void) state;
    assert_int_equal (CHECK ("caf\xc3\xa9"), TEXT_OK);                  //  é
    assert_int_equal (CHECK ("\xc2\x80"), TEXT_OK);                     //  U+0080
    assert_int_equal (CHECK ("\xdf\xbf"), TEXT_OK);                     //  U+07FF
    assert_int_equal (CHECK ("\xe0\xa0\x80"), TEXT_OK);                 //  U+0800
    assert_int_equal (CHECK ("\xe2\x82\xac"), TEXT_OK);                 //  €
    assert_int_equal (CHECK ("\xed\x9f\xbf"), TEXT_OK);                 //  U+D7FF
    assert_int_equal (CHECK ("\xee\x80\x80"), TEXT_OK);                 //  U+E000
    assert_int_equal (CHECK ("\xef\xbf\xbf"), TEXT_OK);                 //  U+FFFF
    assert_int_equal (CHECK ("\xf0\x90\x80\x80"), TEXT_OK);             //  U+10000
    assert_int_equal (CHECK ("\xf0\x9f\x98\x80 smile"), TEXT_OK);       //  emoji
    assert_int_equal (CHECK ("\xf4\x8f\xbf\xbf"), TEXT_OK);             //  U+10FFFF
}

static void
test_invalid_utf8 (void **state)
{
    (void) state;
    //  Overlong forms
    assert_int_equal (CHECK ("\xc0\xaf"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xc1\xbf"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xe0\x80\xaf"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xe0\x9f\xbf"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xf0\x8f\xbf\xbf"), TEXT_INVALID_UTF8);
    //  Surrogates
    assert_int_equal (CHECK ("\xed\xa0\x80"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xed\xbf\xbf"), TEXT_INVALID_UTF8);
    //  Above U+10FFFF
    assert_int_equal (CHECK ("\xf4\x90\x80\x80"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xf5\x80\x80\x80"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xff"), TEXT_INVALID_UTF8);         //  IAC IAC byte
    //  Truncated, at the end and in the middle
    assert_int_equal (CHECK ("ok \xc3"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xe2\x82"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xf0\x9f\x98"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xe2\x82 x"), TEXT_INVALID_UTF8);
    //  Lone continuation bytes
    assert_int_equal (CHECK ("\x80"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("a\xbf b"), TEXT_INVALID_UTF8);
    //  Bad continuation after a good lead
    assert_int_equal (CHECK ("\xc3\x28"), TEXT_INVALID_UTF8);
    assert_int_equal (CHECK ("\xe2\x28\xa1"), TEXT_INVALID_UTF8);
}

static void
test_blank (void **state)
{
    (void) state;
    assert_true (text_is_blank ("", 0));
    assert_true (text_is_blank ("   ", 3));
    assert_false (text_is_blank ("  x ", 4));
    char tabs [] = "\t \t";
    assert_int_equal (text_check (tabs, 3), TEXT_OK);
    assert_true (text_is_blank (tabs, 3));      //  TABs became spaces
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ascii_and_tab),
        cmocka_unit_test (test_control_characters),
        cmocka_unit_test (test_valid_multibyte),
        cmocka_unit_test (test_invalid_utf8),
        cmocka_unit_test (test_blank),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

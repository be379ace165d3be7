/*  =========================================================================
    test_text.c - what a client line may contain

    One test per class of bad input from docs/PROTOCOL.md, plus the valid
    multibyte forms at the edges of each UTF-8 range, and the edges of
    each range of controls in disguise (C1, bidi, separators).
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
    assert_int_equal (CHECK ("\xc2\xa0"), TEXT_OK);     //  U+00A0 (U+0080..U+009F are C1)
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
test_c1_controls (void **state)
{
    (void) state;
    //  U+009B is CSI, U+009D OSC, U+009C ST: the screen-clearing attack
    assert_int_equal (CHECK ("\xc2\x9b" "2J"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\xc2\x9d" "0;type your password:" "\xc2\x9c"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\xc2\x80"), TEXT_CONTROL);               //  first C1
    assert_int_equal (CHECK ("ok \xc2\x9f"), TEXT_CONTROL);            //  last C1
    assert_int_equal (CHECK ("\xc2\xa0"), TEXT_OK);                    //  U+00A0 after it
    assert_int_equal (CHECK ("\xc2\xad"), TEXT_OK);                    //  soft hyphen
    //  A control later in the line wins over an invalid byte before it
    assert_int_equal (CHECK ("\xff \xc2\x9b"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\xc2\x9b \xff"), TEXT_CONTROL);
    //  A raw C1 byte (no C2 lead) is not UTF-8 at all
    assert_int_equal (CHECK ("\x9b" "2J"), TEXT_INVALID_UTF8);
}

static void
test_bidi_and_separators (void **state)
{
    (void) state;
    //  U+202A..U+202E: LRE RLE PDF LRO RLO
    assert_int_equal (CHECK ("\xe2\x80\xaa"), TEXT_CONTROL);
    assert_int_equal (CHECK ("abc \xe2\x80\xae" "cba"), TEXT_CONTROL);
    //  U+2066..U+2069: LRI RLI FSI PDI
    assert_int_equal (CHECK ("\xe2\x81\xa6"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\xe2\x81\xa9"), TEXT_CONTROL);
    //  U+2028, U+2029: line and paragraph separators
    assert_int_equal (CHECK ("one\xe2\x80\xa8two"), TEXT_CONTROL);
    assert_int_equal (CHECK ("\xe2\x80\xa9"), TEXT_CONTROL);
    //  Neighbours of those ranges are ordinary characters
    assert_int_equal (CHECK ("\xe2\x80\xa7"), TEXT_OK);               //  U+2027
    assert_int_equal (CHECK ("\xe2\x80\xaf"), TEXT_OK);               //  U+202F
    assert_int_equal (CHECK ("\xe2\x81\xa5"), TEXT_OK);               //  U+2065
    assert_int_equal (CHECK ("\xe2\x81\xaa"), TEXT_OK);               //  U+206A
    assert_int_equal (CHECK ("\xe2\x82\xae"), TEXT_OK);               //  U+20AE
    assert_int_equal (CHECK ("\xe3\x80\xaa"), TEXT_OK);               //  U+302A
}

static void
test_allowed_invisibles (void **state)
{
    (void) state;
    //  Allowed in text on purpose (text.h says why); never in names
    assert_int_equal (CHECK ("a\xe2\x80\x8b" "b"), TEXT_OK);          //  U+200B ZWSP
    assert_int_equal (CHECK ("\xe2\x80\x8c"), TEXT_OK);               //  U+200C ZWNJ
    //  Family emoji: man ZWJ woman ZWJ girl
    assert_int_equal (CHECK ("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"
                             "\xe2\x80\x8d\xf0\x9f\x91\xa7"), TEXT_OK);
    assert_int_equal (CHECK ("\xe2\x80\x8e\xe2\x80\x8f"), TEXT_OK);   //  LRM RLM
    assert_int_equal (CHECK ("\xd8\x9c"), TEXT_OK);                    //  U+061C ALM
    assert_int_equal (CHECK ("\xe2\x81\xa0"), TEXT_OK);               //  U+2060
    assert_int_equal (CHECK ("\xef\xbb\xbf" "bom"), TEXT_OK);         //  U+FEFF
}

static void
test_char_classes (void **state)
{
    (void) state;
    size_t length = 0;
    assert_int_equal (text_char ((const uint8_t *) "a", 1, &length), TEXT_CHAR_PRINTABLE);
    assert_int_equal (length, 1);
    assert_int_equal (text_char ((const uint8_t *) "\t", 1, &length), TEXT_CHAR_TAB);
    assert_int_equal (text_char ((const uint8_t *) "\x1b[", 2, &length), TEXT_CHAR_CONTROL);
    assert_int_equal (length, 1);
    assert_int_equal (text_char ((const uint8_t *) "\x7f", 1, &length), TEXT_CHAR_CONTROL);
    assert_int_equal (text_char ((const uint8_t *) "\xc2\x9b", 2, &length), TEXT_CHAR_CONTROL);
    assert_int_equal (length, 2);
    assert_int_equal (text_char ((const uint8_t *) "\xe2\x80\xae", 3, &length),
                      TEXT_CHAR_CONTROL);
    assert_int_equal (length, 3);
    assert_int_equal (text_char ((const uint8_t *) "\xe6\x9c\xac", 3, &length),
                      TEXT_CHAR_PRINTABLE);                             //  本
    assert_int_equal (length, 3);
    assert_int_equal (text_char ((const uint8_t *) "\xf0\x9f\x98\x80", 4, &length),
                      TEXT_CHAR_PRINTABLE);
    assert_int_equal (length, 4);
    //  Truncated and invalid: one byte at a time
    assert_int_equal (text_char ((const uint8_t *) "\xe6\x9c", 2, &length), TEXT_CHAR_INVALID);
    assert_int_equal (length, 1);
    assert_int_equal (text_char ((const uint8_t *) "\xff", 1, &length), TEXT_CHAR_INVALID);
    assert_int_equal (length, 1);
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
        cmocka_unit_test (test_c1_controls),
        cmocka_unit_test (test_bidi_and_separators),
        cmocka_unit_test (test_allowed_invisibles),
        cmocka_unit_test (test_char_classes),
        cmocka_unit_test (test_blank),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

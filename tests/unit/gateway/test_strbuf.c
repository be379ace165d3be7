/*  =========================================================================
    test_strbuf.c - the growable, NUL-terminated byte buffer
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "strbuf.h"

#define TEST_INITIAL    4       //  smaller than what is appended: it must grow

static void
test_grows_and_stays_terminated (void **state)
{
    (void) state;
    strbuf_t buffer;
    strbuf_init (&buffer, TEST_INITIAL);
    assert_string_equal (buffer.data, "");
    strbuf_append (&buffer, "abc", 3);
    strbuf_append (&buffer, "defghij", 7);
    strbuf_append (&buffer, "", 0);
    assert_int_equal (buffer.size, 10);
    assert_true (buffer.capacity > 10);
    assert_string_equal (buffer.data, "abcdefghij");
    //  Bytes are bytes: a NUL inside is kept and counted
    strbuf_append (&buffer, "k\0l", 3);
    assert_int_equal (buffer.size, 13);
    assert_memory_equal (buffer.data + 10, "k\0l\0", 4);
    strbuf_fini (&buffer);
    assert_null (buffer.data);
}

static void
test_reset_keeps_memory (void **state)
{
    (void) state;
    strbuf_t buffer;
    strbuf_init (&buffer, TEST_INITIAL);
    strbuf_append (&buffer, "a longer line than four bytes", 29);
    size_t capacity = buffer.capacity;
    strbuf_reset (&buffer);
    assert_int_equal (buffer.size, 0);
    assert_string_equal (buffer.data, "");
    assert_int_equal (buffer.capacity, capacity);
    strbuf_append (&buffer, "x", 1);
    assert_string_equal (buffer.data, "x");
    strbuf_fini (&buffer);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_grows_and_stays_terminated),
        cmocka_unit_test (test_reset_keeps_memory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

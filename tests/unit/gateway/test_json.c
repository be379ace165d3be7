/*  =========================================================================
    test_json.c - the tiny JSON writer: structure, commas, escaping
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "json.h"

static void
test_structure (void **state)
{
    (void) state;
    json_t *json = json_new ();
    json_object_start (json);
    json_key (json, "a");
    json_number (json, 0);
    json_key (json, "b");
    json_array_start (json);
    json_array_end (json);
    json_key (json, "c");
    json_array_start (json);
    json_bool (json, true);
    json_bool (json, false);
    json_object_start (json);
    json_object_end (json);
    json_number (json, UINT64_MAX);
    json_array_end (json);
    json_key (json, "d");
    json_string (json, NULL);
    json_object_end (json);
    json_raw (json, "\r\n", 2);
    assert_string_equal (json_data (json),
                         "{\"a\":0,\"b\":[],\"c\":[true,false,{},18446744073709551615],\"d\":\"\"}\r\n");
    assert_int_equal (json_size (json), strlen (json_data (json)));
    json_reset (json);
    assert_string_equal (json_data (json), "");
    json_string (json, "top");
    assert_string_equal (json_data (json), "\"top\"");
    json_destroy (&json);
    json_destroy (&json);
    assert_null (json);
}

static void
test_escaping (void **state)
{
    (void) state;
    json_t *json = json_new ();
    //  '"' and '\\' escaped; control characters and invalid UTF-8 are
    //  U+FFFD (the sanitiser), TAB a space; valid UTF-8 passes
    static const char text [] = "q\" b\\ t\t n\n nul\0 bad\xc0 ok\xe2\x82\xac";
    json_stringn (json, text, sizeof (text) - 1);
    assert_string_equal (json_data (json),
                         "\"q\\\" b\\\\ t  n\xef\xbf\xbd nul\xef\xbf\xbd bad\xef\xbf\xbd ok\xe2\x82\xac\"");
    json_destroy (&json);
}

static void
test_grows (void **state)
{
    (void) state;
    json_t *json = json_new ();
    json_array_start (json);
    for (int index = 0; index < 10000; index++)
        json_string (json, "0123456789");
    json_array_end (json);
    assert_int_equal (json_size (json), 2 + 10000 * 12 + 9999);
    json_destroy (&json);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_structure),
        cmocka_unit_test (test_escaping),
        cmocka_unit_test (test_grows),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

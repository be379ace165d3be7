/*  =========================================================================
    test_sessions.c - every logged-in user, by session id
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sessions.h"

#define TEST_MAX_SESSIONS       2

static void
test_add_lookup_remove (void **state)
{
    (void) state;
    sessions_t *sessions = sessions_new (TEST_MAX_SESSIONS);
    assert_non_null (sessions);
    assert_int_equal (sessions_size (sessions), 0);
    assert_null (sessions_lookup (sessions, 1));

    session_t *first = sessions_add (sessions, "gw1", 0);
    assert_non_null (first);
    assert_true (first->id > 0);
    assert_int_equal (first->client, 0);
    assert_string_equal (first->gateway, "gw1");
    assert_string_equal (first->nick, "");
    assert_string_equal (first->room, "");
    assert_ptr_equal (sessions_lookup (sessions, first->id), first);

    //  Same client id on another gateway is another session
    session_t *second = sessions_add (sessions, "gw2", 0);
    assert_non_null (second);
    assert_true (second->id != first->id);
    assert_true (sessions_full (sessions));
    assert_null (sessions_add (sessions, "gw3", 1));
    assert_int_equal (sessions_size (sessions), TEST_MAX_SESSIONS);

    uint64_t first_id = first->id;
    assert_int_equal (sessions_remove (sessions, first_id), 0);
    assert_int_equal (sessions_remove (sessions, first_id), -1);
    assert_null (sessions_lookup (sessions, first_id));
    assert_false (sessions_full (sessions));

    //  Ids are not reused
    session_t *third = sessions_add (sessions, "gw1", UINT64_MAX);
    assert_non_null (third);
    assert_true (third->id != first_id && third->id != second->id);
    assert_true (third->client == UINT64_MAX);

    sessions_destroy (&sessions);
    assert_null (sessions);
    sessions_destroy (&sessions);
}

static void
test_longest_gateway_id (void **state)
{
    (void) state;
    char gateway [WIRE_GATEWAY_MAX + 1];
    memset (gateway, 'g', WIRE_GATEWAY_MAX);
    gateway [WIRE_GATEWAY_MAX] = 0;
    sessions_t *sessions = sessions_new (TEST_MAX_SESSIONS);
    session_t *session = sessions_add (sessions, gateway, 1);
    assert_string_equal (session->gateway, gateway);
    sessions_destroy (&sessions);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_add_lookup_remove),
        cmocka_unit_test (test_longest_gateway_id),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

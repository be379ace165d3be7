/*  =========================================================================
    test_sessions.c - every logged-in user, by (gateway id, client id)
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sessions.h"

#define TEST_MAX_SESSIONS       2
#define TEST_MANY_SESSIONS      3000

static void
test_add_lookup_remove (void **state)
{
    (void) state;
    sessions_t *sessions = sessions_new (TEST_MAX_SESSIONS);
    assert_non_null (sessions);
    assert_int_equal (sessions_size (sessions), 0);
    assert_null (sessions_lookup (sessions, "gw1", 0));

    session_t *first = sessions_add (sessions, "gw1", 0);
    assert_non_null (first);
    assert_true (first->id > 0);
    assert_int_equal (first->client, 0);
    assert_string_equal (first->gateway, "gw1");
    assert_string_equal (first->nick, "");
    assert_null (first->room);
    assert_ptr_equal (sessions_lookup (sessions, "gw1", 0), first);
    //  The pair is the key: compared by content, not by address
    char gateway [] = "gw1";
    assert_ptr_equal (sessions_lookup (sessions, gateway, 0), first);
    assert_null (sessions_lookup (sessions, "gw1", 1));
    assert_null (sessions_lookup (sessions, "gw", 0));
    assert_null (sessions_add (sessions, gateway, 0));     //  already there

    //  Same client id on another gateway is another session
    session_t *second = sessions_add (sessions, "gw2", 0);
    assert_non_null (second);
    assert_true (second->id != first->id);
    assert_ptr_equal (sessions_lookup (sessions, "gw2", 0), second);
    assert_true (sessions_full (sessions));
    assert_null (sessions_add (sessions, "gw3", 1));
    assert_int_equal (sessions_size (sessions), TEST_MAX_SESSIONS);

    uint64_t first_id = first->id;
    sessions_remove (sessions, first);
    assert_null (sessions_lookup (sessions, "gw1", 0));
    assert_ptr_equal (sessions_lookup (sessions, "gw2", 0), second);
    assert_false (sessions_full (sessions));

    //  Ids are not reused
    session_t *third = sessions_add (sessions, "gw1", UINT64_MAX);
    assert_non_null (third);
    assert_true (third->id != first_id && third->id != second->id);
    assert_true (third->client == UINT64_MAX);
    assert_ptr_equal (sessions_lookup (sessions, "gw1", UINT64_MAX), third);

    sessions_destroy (&sessions);
    assert_null (sessions);
    sessions_destroy (&sessions);
}

static void
test_of_gateway (void **state)
{
    (void) state;
    sessions_t *sessions = sessions_new (TEST_MANY_SESSIONS);
    size_t count = 99;
    assert_null (sessions_of_gateway (sessions, "gw1", &count));
    assert_int_equal (count, 0);
    const char *gateways [] = { "gw1", "gw2", "gw3" };
    for (uint64_t client = 0; client < TEST_MANY_SESSIONS; client++)
        assert_non_null (sessions_add (sessions, gateways [client % 3], client / 3));
    for (uint64_t client = 0; client < TEST_MANY_SESSIONS; client++) {
        session_t *session = sessions_lookup (sessions, gateways [client % 3], client / 3);
        assert_non_null (session);
        assert_true (session->client == client / 3);
    }
    session_t **list = sessions_of_gateway (sessions, "gw2", &count);
    assert_int_equal (count, TEST_MANY_SESSIONS / 3);
    uint64_t sum = 0;
    for (size_t index = 0; index < count; index++) {
        assert_string_equal (list [index]->gateway, "gw2");
        sum += list [index]->client;
    }
    assert_int_equal (sum, (uint64_t) count * (count - 1) / 2);
    //  The list stays valid while its sessions are removed
    for (size_t index = 0; index < count; index++)
        sessions_remove (sessions, list [index]);
    free (list);
    assert_int_equal (sessions_size (sessions), TEST_MANY_SESSIONS - TEST_MANY_SESSIONS / 3);
    assert_null (sessions_of_gateway (sessions, "gw2", &count));
    assert_int_equal (count, 0);
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
    assert_ptr_equal (sessions_lookup (sessions, gateway, 1), session);
    sessions_destroy (&sessions);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_add_lookup_remove),
        cmocka_unit_test (test_of_gateway),
        cmocka_unit_test (test_longest_gateway_id),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

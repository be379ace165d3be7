/*  =========================================================================
    test_sessions.c - the sessions registry, with stand-in sessions

    The registry reads only session_id (); this test defines it over its
    own session_t, so the real session module is not linked.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sessions.h"

#define TEST_SESSIONS       5000    //  grows the table many times
#define TEST_STRIDE         7       //  removal order that is not insertion order

struct _session_t {
    uint64_t id;
};

uint64_t
session_id (session_t *self)
{
    return self->id;
}

static void
test_insert_lookup_remove (void **state)
{
    (void) state;
    sessions_t *sessions = sessions_new ();
    assert_non_null (sessions);
    assert_int_equal (sessions_size (sessions), 0);
    assert_null (sessions_first (sessions));
    assert_null (sessions_lookup (sessions, 1));
    session_t *all = (session_t *) calloc (TEST_SESSIONS, sizeof (session_t));
    for (size_t index = 0; index < TEST_SESSIONS; index++) {
        //  Ids as the client set hands them out, and some far apart
        all [index].id = index % 2? index + 1: (index + 1) << 20;
        sessions_insert (sessions, &all [index]);
    }
    assert_int_equal (sessions_size (sessions), TEST_SESSIONS);
    for (size_t index = 0; index < TEST_SESSIONS; index++)
        assert_ptr_equal (sessions_lookup (sessions, all [index].id), &all [index]);
    assert_null (sessions_lookup (sessions, 0));
    //  Iteration sees each session once
    size_t seen = 0;
    uint64_t id_sum = 0, expected_sum = 0;
    for (session_t *session = sessions_first (sessions); session;
         session = sessions_next (sessions)) {
        seen++;
        id_sum += session->id;
    }
    for (size_t index = 0; index < TEST_SESSIONS; index++)
        expected_sum += all [index].id;
    assert_int_equal (seen, TEST_SESSIONS);
    assert_int_equal (id_sum, expected_sum);
    //  Remove in a scattered order; the others stay reachable throughout
    size_t removed = 0;
    for (size_t start = 0; start < TEST_STRIDE; start++)
        for (size_t index = start; index < TEST_SESSIONS; index += TEST_STRIDE) {
            sessions_remove (sessions, &all [index]);
            removed++;
            assert_null (sessions_lookup (sessions, all [index].id));
            if (index % 97 == 0)
                for (size_t other = 0; other < TEST_SESSIONS; other++) {
                    bool gone = other % TEST_STRIDE < start
                             || (other % TEST_STRIDE == start && other <= index);
                    assert_ptr_equal (sessions_lookup (sessions, all [other].id),
                                      gone? NULL: &all [other]);
                }
        }
    assert_int_equal (removed, TEST_SESSIONS);
    assert_int_equal (sessions_size (sessions), 0);
    assert_null (sessions_first (sessions));
    //  Removing an unknown session is harmless
    sessions_remove (sessions, &all [0]);
    sessions_insert (sessions, &all [0]);
    assert_ptr_equal (sessions_lookup (sessions, all [0].id), &all [0]);
    sessions_remove (sessions, &all [0]);
    free (all);
    sessions_destroy (&sessions);
    assert_null (sessions);
    sessions_destroy (&sessions);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_insert_lookup_remove),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

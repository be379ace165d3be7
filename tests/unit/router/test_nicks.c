/*  =========================================================================
    test_nicks.c - case-insensitive unique nicknames
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "nicks.h"
#include "names.h"

#define TEST_GUEST_SPACE        10000   //  guest-0000 .. guest-9999
#define TEST_GUEST_ROUNDS       200

//  Sessions for the tests: nicks needs only the records, not a registry
static session_t *
s_sessions (size_t count)
{
    session_t *sessions = (session_t *) calloc (count, sizeof (session_t));
    assert_non_null (sessions);
    for (size_t index = 0; index < count; index++) {
        sessions [index].gateway = "gw1";
        sessions [index].client = index;
        sessions [index].id = index + 1;
    }
    return sessions;
}

static void
test_insert_lookup_remove (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    session_t *sessions = s_sessions (3);
    session_t *alice = &sessions [0], *other = &sessions [1], *third = &sessions [2];
    assert_non_null (nicks);
    assert_int_equal (nicks_size (nicks), 0);
    assert_null (nicks_lookup (nicks, "alice"));

    assert_int_equal (nicks_insert (nicks, alice, "Alice"), 0);
    assert_string_equal (alice->nick, "Alice");
    assert_int_equal (nicks_size (nicks), 1);
    assert_ptr_equal (nicks_lookup (nicks, "alice"), alice);
    assert_ptr_equal (nicks_lookup (nicks, "ALICE"), alice);
    assert_null (nicks_lookup (nicks, "Alic"));
    assert_null (nicks_lookup (nicks, "Alicee"));

    //  Taken, whatever the case; the loser is left unchanged
    assert_int_equal (nicks_insert (nicks, other, "Alice"), -1);
    assert_int_equal (nicks_insert (nicks, other, "aLiCe"), -1);
    assert_string_equal (other->nick, "");
    assert_ptr_equal (nicks_lookup (nicks, "alice"), alice);

    assert_int_equal (nicks_remove (nicks, alice), 0);
    assert_int_equal (nicks_remove (nicks, alice), -1);
    assert_null (nicks_lookup (nicks, "Alice"));
    assert_int_equal (nicks_insert (nicks, other, "alice"), 0);
    assert_ptr_equal (nicks_lookup (nicks, "Alice"), other);

    //  The longest nickname
    const char *longest = "a234567890123456789012345678901X";
    assert_int_equal (strlen (longest), CHAT_NICK_MAX);
    assert_int_equal (nicks_insert (nicks, third, longest), 0);
    assert_ptr_equal (nicks_lookup (nicks, "A234567890123456789012345678901x"), third);

    nicks_destroy (&nicks);
    assert_null (nicks);
    nicks_destroy (&nicks);
    free (sessions);
}

static void
test_rename (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    session_t *sessions = s_sessions (3);
    session_t *alice = &sessions [0], *bob = &sessions [1];
    assert_int_equal (nicks_insert (nicks, alice, "alice"), 0);
    assert_int_equal (nicks_insert (nicks, bob, "bob"), 0);

    //  Someone else's, in any case
    assert_int_equal (nicks_rename (nicks, alice, "BOB"), -1);
    assert_string_equal (alice->nick, "alice");
    assert_ptr_equal (nicks_lookup (nicks, "alice"), alice);
    assert_ptr_equal (nicks_lookup (nicks, "bob"), bob);

    //  One's own, in another case
    assert_int_equal (nicks_rename (nicks, alice, "ALICE"), 0);
    assert_string_equal (alice->nick, "ALICE");
    assert_ptr_equal (nicks_lookup (nicks, "alice"), alice);
    assert_int_equal (nicks_size (nicks), 2);

    //  A free one: the old one is freed
    assert_int_equal (nicks_rename (nicks, alice, "carol"), 0);
    assert_string_equal (alice->nick, "carol");
    assert_null (nicks_lookup (nicks, "alice"));
    assert_ptr_equal (nicks_lookup (nicks, "Carol"), alice);
    assert_int_equal (nicks_size (nicks), 2);
    assert_int_equal (nicks_insert (nicks, &sessions [2], "Alice"), 0);
    nicks_destroy (&nicks);
    free (sessions);
}

static void
test_guest (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    session_t *sessions = s_sessions (TEST_GUEST_ROUNDS);
    char nick [CHAT_NICK_MAX + 1];
    for (int round = 0; round < TEST_GUEST_ROUNDS; round++) {
        nicks_guest (nicks, nick);
        assert_int_equal (strlen (nick), strlen ("guest-0000"));
        assert_memory_equal (nick, "guest-", strlen ("guest-"));
        assert_int_equal (names_check_nick (nick), NAMES_OK);
        assert_null (nicks_lookup (nicks, nick));
        //  Picking does not reserve; inserting does, so the next differs
        assert_int_equal (nicks_insert (nicks, &sessions [round], nick), 0);
    }
    nicks_destroy (&nicks);
    free (sessions);
}

static void
test_guest_widens_when_full (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    session_t *sessions = s_sessions (TEST_GUEST_SPACE);
    char nick [CHAT_NICK_MAX + 1];
    for (int number = 0; number < TEST_GUEST_SPACE; number++) {
        snprintf (nick, sizeof (nick), "GUEST-%04d", number);
        assert_int_equal (nicks_insert (nicks, &sessions [number], nick), 0);
    }
    nicks_guest (nicks, nick);
    assert_true (strlen (nick) > strlen ("guest-0000"));
    assert_int_equal (names_check_nick (nick), NAMES_OK);
    assert_null (nicks_lookup (nicks, nick));
    nicks_destroy (&nicks);
    free (sessions);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_insert_lookup_remove),
        cmocka_unit_test (test_rename),
        cmocka_unit_test (test_guest),
        cmocka_unit_test (test_guest_widens_when_full),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

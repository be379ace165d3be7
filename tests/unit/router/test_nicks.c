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

static void
test_insert_lookup_remove (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    assert_non_null (nicks);
    assert_int_equal (nicks_size (nicks), 0);
    assert_int_equal (nicks_lookup (nicks, "alice"), 0);

    assert_int_equal (nicks_insert (nicks, "Alice", 1), 0);
    assert_int_equal (nicks_size (nicks), 1);
    assert_int_equal (nicks_lookup (nicks, "alice"), 1);
    assert_int_equal (nicks_lookup (nicks, "ALICE"), 1);
    assert_int_equal (nicks_lookup (nicks, "Alic"), 0);
    assert_int_equal (nicks_lookup (nicks, "Alicee"), 0);

    //  Duplicate, in any case
    assert_int_equal (nicks_insert (nicks, "Alice", 2), -1);
    assert_int_equal (nicks_insert (nicks, "aLiCe", 2), -1);
    assert_int_equal (nicks_lookup (nicks, "alice"), 1);

    //  Remove then reuse
    assert_int_equal (nicks_remove (nicks, "ALICE"), 0);
    assert_int_equal (nicks_remove (nicks, "alice"), -1);
    assert_int_equal (nicks_lookup (nicks, "Alice"), 0);
    assert_int_equal (nicks_insert (nicks, "alice", 2), 0);
    assert_int_equal (nicks_lookup (nicks, "Alice"), 2);

    //  The longest nickname
    const char *longest = "a234567890123456789012345678901X";
    assert_int_equal (strlen (longest), CHAT_NICK_MAX);
    assert_int_equal (nicks_insert (nicks, longest, 3), 0);
    assert_int_equal (nicks_lookup (nicks, "A234567890123456789012345678901x"), 3);

    nicks_destroy (&nicks);
    assert_null (nicks);
    nicks_destroy (&nicks);
}

static void
test_rename (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    assert_int_equal (nicks_insert (nicks, "alice", 1), 0);
    assert_int_equal (nicks_insert (nicks, "bob", 2), 0);

    //  Onto someone else's nickname, in any case: refused, nothing moves
    assert_int_equal (nicks_rename (nicks, "alice", "BOB", 1), -1);
    assert_int_equal (nicks_lookup (nicks, "alice"), 1);
    assert_int_equal (nicks_lookup (nicks, "bob"), 2);

    //  Own case variant: allowed, still one entry
    assert_int_equal (nicks_rename (nicks, "alice", "ALICE", 1), 0);
    assert_int_equal (nicks_lookup (nicks, "alice"), 1);
    assert_int_equal (nicks_size (nicks), 2);

    //  To a free nickname: the old one is freed
    assert_int_equal (nicks_rename (nicks, "ALICE", "carol", 1), 0);
    assert_int_equal (nicks_lookup (nicks, "alice"), 0);
    assert_int_equal (nicks_lookup (nicks, "Carol"), 1);
    assert_int_equal (nicks_size (nicks), 2);
    assert_int_equal (nicks_insert (nicks, "Alice", 3), 0);
    nicks_destroy (&nicks);
}

static void
test_guest (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    char nick [CHAT_NICK_MAX + 1];
    for (int round = 0; round < TEST_GUEST_ROUNDS; round++) {
        nicks_guest (nicks, nick);
        assert_int_equal (strlen (nick), strlen ("guest-0000"));
        assert_memory_equal (nick, "guest-", strlen ("guest-"));
        assert_int_equal (names_check_nick (nick), NAMES_OK);
        assert_int_equal (nicks_lookup (nicks, nick), 0);
        //  Picking does not reserve; inserting does, so the next differs
        assert_int_equal (nicks_insert (nicks, nick, (uint64_t) round + 1), 0);
    }
    nicks_destroy (&nicks);
}

static void
test_guest_widens_when_full (void **state)
{
    (void) state;
    nicks_t *nicks = nicks_new ();
    char nick [CHAT_NICK_MAX + 1];
    for (int number = 0; number < TEST_GUEST_SPACE; number++) {
        snprintf (nick, sizeof (nick), "GUEST-%04d", number);
        assert_int_equal (nicks_insert (nicks, nick, (uint64_t) number + 1), 0);
    }
    nicks_guest (nicks, nick);
    assert_true (strlen (nick) > strlen ("guest-0000"));
    assert_int_equal (names_check_nick (nick), NAMES_OK);
    assert_int_equal (nicks_lookup (nicks, nick), 0);
    nicks_destroy (&nicks);
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

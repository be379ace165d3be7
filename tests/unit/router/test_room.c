/*  =========================================================================
    test_room.c - one room: members and sequence numbers
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "room.h"

#define TEST_MEMBERS            1000

static void
test_members (void **state)
{
    (void) state;
    room_t *room = room_new ("rust");
    assert_non_null (room);
    assert_string_equal (room_name (room), "rust");
    assert_int_equal (room_member_count (room), 0);
    assert_int_equal (room_first_member (room), 0);

    assert_int_equal (room_join (room, 7), 0);
    assert_int_equal (room_join (room, 7), -1);
    assert_true (room_has_member (room, 7));
    assert_false (room_has_member (room, 8));
    assert_int_equal (room_member_count (room), 1);
    assert_int_equal (room_first_member (room), 7);
    assert_int_equal (room_next_member (room), 0);

    assert_int_equal (room_leave (room, 8), -1);
    assert_int_equal (room_leave (room, 7), 0);
    assert_int_equal (room_leave (room, 7), -1);
    assert_int_equal (room_member_count (room), 0);

    //  Many members: each seen exactly once when iterating
    for (uint64_t id = 1; id <= TEST_MEMBERS; id++)
        assert_int_equal (room_join (room, id), 0);
    assert_int_equal (room_member_count (room), TEST_MEMBERS);
    uint64_t sum = 0;
    size_t seen = 0;
    for (uint64_t id = room_first_member (room); id; id = room_next_member (room)) {
        sum += id;
        seen++;
    }
    assert_int_equal (seen, TEST_MEMBERS);
    assert_int_equal (sum, (uint64_t) TEST_MEMBERS * (TEST_MEMBERS + 1) / 2);

    //  Large ids hash and compare as numbers
    assert_int_equal (room_join (room, UINT64_MAX), 0);
    assert_true (room_has_member (room, UINT64_MAX));
    assert_false (room_has_member (room, UINT64_MAX - 1));

    room_destroy (&room);
    assert_null (room);
    room_destroy (&room);
}

static void
test_seq (void **state)
{
    (void) state;
    room_t *room = room_new ("a234567890123456789012345678901b");
    assert_int_equal (strlen (room_name (room)), CHAT_ROOM_MAX);
    assert_int_equal (room_seq (room), 0);
    assert_int_equal (room_next_seq (room), 1);
    assert_int_equal (room_next_seq (room), 2);
    assert_int_equal (room_seq (room), 2);
    //  Membership does not consume numbers
    room_join (room, 1);
    room_leave (room, 1);
    assert_int_equal (room_next_seq (room), 3);
    room_destroy (&room);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_members),
        cmocka_unit_test (test_seq),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

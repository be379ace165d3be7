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
    assert_null (room_first_member (room));

    session_t seven = { .gateway = "gw1", .client = 7, .id = 7 };
    session_t eight = { .gateway = "gw1", .client = 8, .id = 8 };
    assert_int_equal (room_join (room, &seven), 0);
    assert_int_equal (room_join (room, &seven), -1);
    assert_ptr_equal (seven.room, room);
    assert_true (room_has_member (room, &seven));
    assert_false (room_has_member (room, &eight));
    assert_int_equal (room_member_count (room), 1);
    assert_ptr_equal (room_first_member (room), &seven);
    assert_null (seven.room_next);

    //  A session is in one room at a time
    room_t *other = room_new ("go");
    assert_int_equal (room_join (other, &seven), -1);
    assert_int_equal (room_member_count (other), 0);
    assert_int_equal (room_leave (other, &seven), -1);
    room_destroy (&other);

    assert_int_equal (room_leave (room, &eight), -1);
    assert_int_equal (room_leave (room, &seven), 0);
    assert_int_equal (room_leave (room, &seven), -1);
    assert_null (seven.room);
    assert_int_equal (room_member_count (room), 0);
    assert_null (room_first_member (room));

    //  Many members: each seen exactly once; unlink from the middle,
    //  the head and the tail keeps the list whole
    session_t *members = (session_t *) calloc (TEST_MEMBERS, sizeof (session_t));
    assert_non_null (members);
    for (size_t index = 0; index < TEST_MEMBERS; index++) {
        members [index].id = index + 1;
        assert_int_equal (room_join (room, &members [index]), 0);
    }
    assert_int_equal (room_member_count (room), TEST_MEMBERS);
    assert_int_equal (room_leave (room, &members [TEST_MEMBERS / 2]), 0);
    assert_int_equal (room_leave (room, &members [0]), 0);
    assert_int_equal (room_leave (room, &members [TEST_MEMBERS - 1]), 0);
    uint64_t sum = 0;
    size_t seen = 0;
    for (session_t *member = room_first_member (room); member; member = member->room_next) {
        sum += member->id;
        seen++;
    }
    uint64_t expected = (uint64_t) TEST_MEMBERS * (TEST_MEMBERS + 1) / 2
                      - (TEST_MEMBERS / 2 + 1) - 1 - TEST_MEMBERS;
    assert_int_equal (seen, TEST_MEMBERS - 3);
    assert_int_equal (room_member_count (room), TEST_MEMBERS - 3);
    assert_int_equal (sum, expected);

    //  Destroying a room with members leaves them in no room
    room_destroy (&room);
    assert_null (room);
    assert_null (members [1].room);
    room_destroy (&room);
    free (members);
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
    session_t member = { .gateway = "gw1", .client = 1, .id = 1 };
    room_join (room, &member);
    room_leave (room, &member);
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

/*  =========================================================================
    test_rooms.c - the name -> room registry
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "rooms.h"

#define TEST_MAX_ROOMS          3

static void
test_ensure_and_remove (void **state)
{
    (void) state;
    rooms_t *rooms = rooms_new (TEST_MAX_ROOMS);
    assert_non_null (rooms);
    assert_int_equal (rooms_size (rooms), 0);
    assert_null (rooms_lookup (rooms, "rust"));
    assert_null (rooms_first (rooms));

    room_t *rust = rooms_ensure (rooms, "rust");
    assert_non_null (rust);
    assert_ptr_equal (rooms_ensure (rooms, "rust"), rust);
    assert_ptr_equal (rooms_lookup (rooms, "rust"), rust);
    assert_null (rooms_lookup (rooms, "rustacean"));
    assert_null (rooms_lookup (rooms, "rus"));
    assert_int_equal (rooms_size (rooms), 1);

    //  Kept while it has members, deleted when empty
    session_t member = { .gateway = "gw1", .client = 1, .id = 1 };
    room_join (rust, &member);
    assert_int_equal (rooms_remove_if_empty (rooms, rust), -1);
    assert_ptr_equal (rooms_lookup (rooms, "rust"), rust);
    room_leave (rust, &member);
    assert_int_equal (rooms_remove_if_empty (rooms, rust), 0);
    assert_null (rooms_lookup (rooms, "rust"));
    assert_int_equal (rooms_size (rooms), 0);

    rooms_destroy (&rooms);
    assert_null (rooms);
    rooms_destroy (&rooms);
}

static void
test_limit (void **state)
{
    (void) state;
    rooms_t *rooms = rooms_new (TEST_MAX_ROOMS);
    assert_non_null (rooms_ensure (rooms, "c"));
    assert_non_null (rooms_ensure (rooms, "a"));
    assert_false (rooms_full (rooms));
    room_t *b = rooms_ensure (rooms, "b");
    assert_non_null (b);
    assert_true (rooms_full (rooms));
    //  Full: no new room, existing ones still found
    assert_null (rooms_ensure (rooms, "d"));
    assert_non_null (rooms_ensure (rooms, "a"));
    assert_int_equal (rooms_size (rooms), TEST_MAX_ROOMS);
    //  Freeing one makes room again
    assert_int_equal (rooms_remove_if_empty (rooms, b), 0);
    assert_non_null (rooms_ensure (rooms, "d"));
    rooms_destroy (&rooms);
}

static void
test_sorted_and_iterate (void **state)
{
    (void) state;
    rooms_t *rooms = rooms_new (TEST_MAX_ROOMS);
    rooms_ensure (rooms, "rustacean");
    rooms_ensure (rooms, "general");
    rooms_ensure (rooms, "rust");
    zlistx_t *sorted = rooms_sorted (rooms);
    assert_int_equal (zlistx_size (sorted), 3);
    assert_string_equal (room_name ((room_t *) zlistx_first (sorted)), "general");
    assert_string_equal (room_name ((room_t *) zlistx_next (sorted)), "rust");
    assert_string_equal (room_name ((room_t *) zlistx_next (sorted)), "rustacean");
    zlistx_destroy (&sorted);
    //  The list did not own the rooms
    assert_non_null (rooms_lookup (rooms, "rust"));

    size_t count = 0;
    for (room_t *room = rooms_first (rooms); room; room = rooms_next (rooms))
        count++;
    assert_int_equal (count, 3);
    rooms_destroy (&rooms);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ensure_and_remove),
        cmocka_unit_test (test_limit),
        cmocka_unit_test (test_sorted_and_iterate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

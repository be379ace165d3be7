/*  =========================================================================
    test_ptable.c - the open-addressing pointer table

    Many keys (tests/unit/gateway/test_sessions.c grows and shrinks it
    through the gateway's registry); here, keys that all share one hash,
    so every lookup and removal walks a run of collisions.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ptable.h"

#define TEST_ITEMS          200     //  past the first table's 3/4 (48 of 64)

typedef struct {
    uint64_t key;
} test_item_t;

static uint64_t
s_same_hash (const void *item)
{
    (void) item;
    return 42;
}

static bool
s_match (const void *item, const void *key)
{
    return ((const test_item_t *) item)->key == *(const uint64_t *) key;
}

static test_item_t *
s_lookup (ptable_t *table, uint64_t key)
{
    return (test_item_t *) ptable_lookup (table, 42, s_match, &key);
}

static void
test_collisions (void **state)
{
    (void) state;
    ptable_t *table = ptable_new (s_same_hash);
    assert_non_null (table);
    test_item_t items [TEST_ITEMS];
    for (size_t index = 0; index < TEST_ITEMS; index++) {
        items [index].key = index * 3 + 1;
        assert_int_equal (ptable_insert (table, &items [index]), 0);
    }
    assert_int_equal (ptable_size (table), TEST_ITEMS);
    for (size_t index = 0; index < TEST_ITEMS; index++)
        assert_ptr_equal (s_lookup (table, index * 3 + 1), &items [index]);
    assert_null (s_lookup (table, 2));
    //  Remove every other one, from the middle of the run outwards
    for (size_t index = 1; index < TEST_ITEMS; index += 2)
        assert_int_equal (ptable_remove (table, &items [index]), 0);
    assert_int_equal (ptable_remove (table, &items [1]), -1);
    assert_int_equal (ptable_size (table), TEST_ITEMS / 2);
    size_t seen = 0;
    for (test_item_t *item = (test_item_t *) ptable_first (table); item;
         item = (test_item_t *) ptable_next (table)) {
        assert_int_equal ((item - items) % 2, 0);
        seen++;
    }
    assert_int_equal (seen, TEST_ITEMS / 2);
    for (size_t index = 0; index < TEST_ITEMS; index++)
        assert_ptr_equal (s_lookup (table, index * 3 + 1), index % 2? NULL: &items [index]);
    for (size_t index = 0; index < TEST_ITEMS; index += 2)
        assert_int_equal (ptable_remove (table, &items [index]), 0);
    assert_int_equal (ptable_size (table), 0);
    assert_null (ptable_first (table));
    ptable_destroy (&table);
    assert_null (table);
    ptable_destroy (&table);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_collisions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

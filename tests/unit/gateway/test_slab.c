/*  =========================================================================
    test_slab.c - fixed-size objects packed in page-backed blocks
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "slab.h"

#define TEST_OBJECT_SIZE    100     //  not a multiple of the alignment
#define TEST_OBJECTS        3000    //  several blocks' worth

static void
test_alloc_and_free (void **state)
{
    (void) state;
    slab_t *slab = slab_new (TEST_OBJECT_SIZE);
    assert_non_null (slab);
    assert_int_equal (slab_size (slab), 0);
    assert_int_equal (slab_blocks (slab), 0);
    char *first = (char *) slab_alloc (slab);
    char *second = (char *) slab_alloc (slab);
    assert_non_null (first);
    assert_non_null (second);
    assert_int_equal ((uintptr_t) first % SLAB_ALIGN, 0);
    assert_int_equal ((uintptr_t) second % SLAB_ALIGN, 0);
    //  Packed: no header between objects
    assert_true (second - first >= TEST_OBJECT_SIZE);
    assert_true (second - first < TEST_OBJECT_SIZE + SLAB_ALIGN);
    for (size_t index = 0; index < TEST_OBJECT_SIZE; index++)
        assert_int_equal (first [index], 0);
    memset (first, 'x', TEST_OBJECT_SIZE);
    assert_int_equal (slab_size (slab), 2);
    assert_int_equal (slab_blocks (slab), 1);
    //  A freed object is reused, zeroed again
    slab_free (slab, first);
    char *again = (char *) slab_alloc (slab);
    assert_ptr_equal (again, first);
    for (size_t index = 0; index < TEST_OBJECT_SIZE; index++)
        assert_int_equal (again [index], 0);
    slab_free (slab, again);
    slab_free (slab, second);
    slab_free (slab, NULL);
    assert_int_equal (slab_size (slab), 0);
    //  The only block with room stays mapped while empty
    assert_int_equal (slab_blocks (slab), 1);
    slab_destroy (&slab);
    assert_null (slab);
    slab_destroy (&slab);
}

static void
test_blocks_come_and_go (void **state)
{
    (void) state;
    slab_t *slab = slab_new (TEST_OBJECT_SIZE);
    char **objects = (char **) calloc (TEST_OBJECTS, sizeof (char *));
    for (size_t index = 0; index < TEST_OBJECTS; index++) {
        objects [index] = (char *) slab_alloc (slab);
        assert_non_null (objects [index]);
        memset (objects [index], (int) (index & 0x7F), TEST_OBJECT_SIZE);
    }
    size_t blocks = slab_blocks (slab);
    assert_true (blocks > 2);
    //  No object overlaps another
    for (size_t index = 0; index < TEST_OBJECTS; index++)
        for (size_t byte = 0; byte < TEST_OBJECT_SIZE; byte++)
            assert_int_equal (objects [index][byte], (char) (index & 0x7F));
    //  Freeing every other object empties no block
    for (size_t index = 0; index < TEST_OBJECTS; index += 2)
        slab_free (slab, objects [index]);
    assert_int_equal (slab_blocks (slab), blocks);
    assert_int_equal (slab_size (slab), TEST_OBJECTS / 2);
    //  Freeing the rest gives back all blocks but one
    for (size_t index = 1; index < TEST_OBJECTS; index += 2)
        slab_free (slab, objects [index]);
    assert_int_equal (slab_blocks (slab), 1);
    assert_int_equal (slab_size (slab), 0);
    //  And the holes are filled before a new block is mapped
    for (size_t index = 0; index < TEST_OBJECTS; index++)
        objects [index] = (char *) slab_alloc (slab);
    assert_int_equal (slab_blocks (slab), blocks);
    for (size_t index = 0; index < TEST_OBJECTS; index++)
        slab_free (slab, objects [index]);
    free (objects);
    slab_destroy (&slab);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_alloc_and_free),
        cmocka_unit_test (test_blocks_come_and_go),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

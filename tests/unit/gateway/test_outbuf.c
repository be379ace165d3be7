/*  =========================================================================
    test_outbuf.c - the output queue and its pool
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "outbuf.h"

#define TEST_BIG    2000        //  more than a first-size queue

static void
test_append_and_consume (void **state)
{
    (void) state;
    outbuf_pool_t *pool = outbuf_pool_new ();
    outbuf_t queue = { 0 };
    assert_int_equal (outbuf_used (&queue), 0);
    assert_int_equal (outbuf_append (&queue, pool, "hello ", 6), 0);
    assert_int_equal (outbuf_append (&queue, pool, "world", 5), 0);
    assert_int_equal (outbuf_used (&queue), 11);
    assert_memory_equal (outbuf_head (&queue), "hello world", 11);
    outbuf_consume (&queue, 6);
    assert_memory_equal (outbuf_head (&queue), "world", 5);
    //  Growth keeps the unsent bytes, in order
    char big [TEST_BIG];
    memset (big, 'x', sizeof (big));
    assert_int_equal (outbuf_append (&queue, pool, big, sizeof (big)), 0);
    assert_int_equal (outbuf_used (&queue), 5 + TEST_BIG);
    assert_memory_equal (outbuf_head (&queue), "world", 5);
    assert_true (queue.capacity >= 5 + TEST_BIG);
    //  Drained: empty, memory kept
    outbuf_consume (&queue, outbuf_used (&queue));
    assert_int_equal (outbuf_used (&queue), 0);
    assert_non_null (queue.data);
    assert_int_equal (outbuf_pool_holders (pool), 1);
    outbuf_free (&queue, pool);
    assert_null (queue.data);
    assert_int_equal (outbuf_pool_holders (pool), 0);
    outbuf_free (&queue, pool);         //  harmless twice
    outbuf_pool_destroy (&pool);
    assert_null (pool);
}

//  A queue in use keeps its memory; one that stayed empty for a whole
//  check period gives it back, and a first-size one comes from the pool.
static void
test_release_idle (void **state)
{
    (void) state;
    outbuf_pool_t *pool = outbuf_pool_new ();
    outbuf_t busy = { 0 }, quiet = { 0 }, full = { 0 };
    assert_int_equal (outbuf_append (&busy, pool, "a", 1), 0);
    assert_int_equal (outbuf_append (&quiet, pool, "b", 1), 0);
    assert_int_equal (outbuf_append (&full, pool, "c", 1), 0);
    outbuf_consume (&busy, 1);
    outbuf_consume (&quiet, 1);
    assert_int_equal (outbuf_pool_holders (pool), 3);
    //  First check: all were written recently
    outbuf_pool_release_idle (pool);
    assert_int_equal (outbuf_pool_holders (pool), 3);
    //  busy gets more; quiet stays empty; full is never sent
    assert_int_equal (outbuf_append (&busy, pool, "d", 1), 0);
    outbuf_consume (&busy, 1);
    outbuf_pool_release_idle (pool);
    assert_null (quiet.data);
    assert_non_null (busy.data);
    assert_non_null (full.data);
    assert_int_equal (outbuf_pool_holders (pool), 2);
    //  quiet's memory went to the pool and comes back to the next taker
    outbuf_t next = { 0 };
    assert_int_equal (outbuf_append (&next, pool, "e", 1), 0);
    assert_int_equal (outbuf_pool_holders (pool), 3);
    outbuf_pool_trim (pool);
    outbuf_pool_trim (pool);
    outbuf_free (&busy, pool);
    outbuf_free (&full, pool);
    outbuf_free (&next, pool);
    outbuf_pool_trim (pool);
    outbuf_pool_destroy (&pool);
}

//  A drained first-size queue goes straight back to the pool; a grown one
//  is kept for the release check.
static void
test_drained (void **state)
{
    (void) state;
    outbuf_pool_t *pool = outbuf_pool_new ();
    outbuf_t small = { 0 }, grown = { 0 };
    char big [TEST_BIG];
    memset (big, 'y', sizeof (big));
    assert_int_equal (outbuf_append (&small, pool, "a", 1), 0);
    assert_int_equal (outbuf_append (&grown, pool, big, sizeof (big)), 0);
    outbuf_consume (&small, 1);
    outbuf_consume (&grown, sizeof (big));
    outbuf_drained (&small, pool);
    outbuf_drained (&grown, pool);
    assert_null (small.data);
    assert_non_null (grown.data);
    assert_int_equal (outbuf_pool_holders (pool), 1);
    outbuf_pool_release_idle (pool);    //  written since the last check
    assert_non_null (grown.data);
    outbuf_pool_release_idle (pool);
    assert_null (grown.data);
    assert_int_equal (outbuf_pool_holders (pool), 0);
    outbuf_pool_destroy (&pool);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_append_and_consume),
        cmocka_unit_test (test_release_idle),
        cmocka_unit_test (test_drained),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

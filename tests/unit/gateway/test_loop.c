/*  =========================================================================
    test_loop.c - the epoll event loop

    Drives loop_run with socketpairs and short timers: timer order, repeat
    and cancel, hook order (late after early), remove-in-handler dropping
    the rest of a pass's events, interest changes, loop_again.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "loop.h"

typedef struct {
    char trace [256];           //  what fired, in order
    int count;                  //  repeating timer firings
    int stop_after;             //  stop the loop after this many
    int cancel_id;              //  timer to cancel from a handler
    int pair [2][2];            //  two socketpairs
    int events [2];             //  events seen per pair
    int passes;                 //  hook calls
} s_state_t;

static int
s_timer_trace (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    s_state_t *state = (s_state_t *) arg;
    char entry [16];
    snprintf (entry, sizeof (entry), "t%d ", timer_id);
    strcat (state->trace, entry);
    return 0;
}

static int
s_timer_stop (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    (void) arg;
    loop_stop (loop);
    return -1;
}

static void
test_timers_fire_in_order (void **state)
{
    (void) state;
    loop_t *loop = loop_new ();
    assert_non_null (loop);
    s_state_t st = { 0 };
    int late = loop_timer_add (loop, 30, false, s_timer_trace, &st);
    int early = loop_timer_add (loop, 5, false, s_timer_trace, &st);
    int middle = loop_timer_add (loop, 15, false, s_timer_trace, &st);
    int cancelled = loop_timer_add (loop, 10, false, s_timer_trace, &st);
    loop_timer_cancel (loop, cancelled);
    loop_timer_cancel (loop, 9999);                     //  unknown: ignored
    loop_timer_add (loop, 50, false, s_timer_stop, &st);
    int64_t start = loop_now (loop);
    assert_int_equal (loop_run (loop), 0);
    char expected [64];
    snprintf (expected, sizeof (expected), "t%d t%d t%d ", early, middle, late);
    assert_string_equal (st.trace, expected);
    assert_true (loop_now (loop) - start >= 50);
    loop_destroy (&loop);
    loop_destroy (&loop);
    assert_null (loop);
}

static int
s_timer_repeat (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    s_state_t *state = (s_state_t *) arg;
    if (++state->count == state->stop_after)
        loop_stop (loop);
    return 0;
}

static int
s_timer_self_cancel (loop_t *loop, int timer_id, void *arg)
{
    s_state_t *state = (s_state_t *) arg;
    state->count++;
    loop_timer_cancel (loop, timer_id);     //  cancel from its own handler
    return 0;
}

static void
test_timer_repeat_and_cancel (void **state)
{
    (void) state;
    loop_t *loop = loop_new ();
    s_state_t st = { .stop_after = 5 };
    loop_timer_add (loop, 2, true, s_timer_repeat, &st);
    assert_int_equal (loop_run (loop), 0);
    assert_int_equal (st.count, 5);
    loop_destroy (&loop);

    //  A repeating timer that cancels itself, or returns -1, fires once
    loop = loop_new ();
    s_state_t once = { 0 };
    loop_timer_add (loop, 1, true, s_timer_self_cancel, &once);
    loop_timer_add (loop, 1, true, s_timer_stop, &once);
    loop_timer_add (loop, 30, false, s_timer_stop, &once);
    loop_run (loop);
    assert_int_equal (once.count, 1);
    loop_run (loop);                        //  runs until the 30 ms stop
    assert_int_equal (once.count, 1);
    loop_destroy (&loop);
}

static void
s_hook_early (loop_t *loop, void *arg)
{
    s_state_t *state = (s_state_t *) arg;
    strcat (state->trace, "E");
    if (++state->passes == 3)
        loop_stop (loop);
}

static void
s_hook_late (loop_t *loop, void *arg)
{
    (void) loop;
    strcat (((s_state_t *) arg)->trace, "L");
}

static void
s_hook_again (loop_t *loop, void *arg)
{
    (void) arg;
    loop_again (loop);                      //  never sleep
}

static void
test_hooks_order_and_again (void **state)
{
    (void) state;
    loop_t *loop = loop_new ();
    s_state_t st = { 0 };
    //  The late hook is added first, yet runs after the early one
    loop_hook_add_late (loop, s_hook_late, &st);
    loop_hook_add (loop, s_hook_early, &st);
    loop_hook_add (loop, s_hook_again, &st);
    uint64_t pass = loop_pass (loop);
    //  No fds, no timers: without loop_again this would block forever
    assert_int_equal (loop_run (loop), 0);
    assert_string_equal (st.trace, "ELELEL");       //  hooks run after stop too
    assert_true (loop_pass (loop) > pass);
    loop_hook_remove (loop, s_hook_late, &st);
    loop_hook_remove (loop, s_hook_late, &st);      //  unknown: ignored
    st.passes = 0;
    st.trace [0] = 0;
    loop_run (loop);
    assert_string_equal (st.trace, "EEE");
    loop_destroy (&loop);
}

//  Handler for pair 0: removes pair 1's fd, whose event is in the same batch.
static void
s_io_remover (loop_t *loop, int fd, int events, void *arg)
{
    s_state_t *state = (s_state_t *) arg;
    state->events [0]++;
    char buffer [16];
    assert_true (read (fd, buffer, sizeof (buffer)) > 0);
    assert_true (events & LOOP_READABLE);
    loop_remove (loop, state->pair [1][0]);
    loop_remove (loop, fd);
    loop_stop (loop);
}

static void
s_io_other (loop_t *loop, int fd, int events, void *arg)
{
    (void) events;
    s_state_t *state = (s_state_t *) arg;
    state->events [1]++;
    char buffer [16];
    assert_true (read (fd, buffer, sizeof (buffer)) > 0);
    loop_remove (loop, state->pair [0][0]);
    loop_remove (loop, fd);
    loop_stop (loop);
}

static void
test_remove_in_handler (void **state)
{
    (void) state;
    loop_t *loop = loop_new ();
    s_state_t st = { 0 };
    for (int index = 0; index < 2; index++) {
        assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, st.pair [index]), 0);
        assert_int_equal (write (st.pair [index][1], "x", 1), 1);
    }
    assert_int_equal (loop_add (loop, st.pair [0][0], LOOP_READABLE, s_io_remover, &st), 0);
    assert_int_equal (loop_add (loop, st.pair [1][0], LOOP_READABLE, s_io_other, &st), 0);
    //  A second add of the same fd fails
    assert_int_equal (loop_add (loop, st.pair [1][0], LOOP_READABLE, s_io_other, &st), -1);
    loop_run (loop);
    //  Both were ready in the same pass; whichever ran first removed the
    //  other, which must then not have been called
    assert_int_equal (st.events [0] + st.events [1], 1);
    assert_int_equal (loop_remove (loop, st.pair [0][0]), -1);  //  not registered
    loop_destroy (&loop);
    for (int index = 0; index < 2; index++) {
        close (st.pair [index][0]);
        close (st.pair [index][1]);
    }
}

static void
s_io_count (loop_t *loop, int fd, int events, void *arg)
{
    (void) fd;
    s_state_t *state = (s_state_t *) arg;
    if (events & LOOP_READABLE)
        state->events [0]++;
    if (events & LOOP_WRITABLE)
        state->events [1]++;
    if (state->events [0] + state->events [1] >= 3)
        loop_stop (loop);
}

static void
test_interest_changes (void **state)
{
    (void) state;
    loop_t *loop = loop_new ();
    s_state_t st = { 0 };
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, st.pair [0]), 0);
    int fd = st.pair [0][0];
    //  Writable only: a fresh socket is writable at once (level-triggered:
    //  reported every pass until the interest drops)
    assert_int_equal (loop_add (loop, fd, LOOP_WRITABLE, s_io_count, &st), 0);
    loop_run (loop);
    assert_int_equal (st.events [1], 3);
    //  Readable only, no data: nothing fires until the timer stops the loop
    st = (s_state_t) { .pair = { { fd, st.pair [0][1] } } };
    assert_int_equal (loop_set_interest (loop, fd, LOOP_READABLE), 0);
    assert_int_equal (loop_set_interest (loop, fd, LOOP_READABLE), 0);  //  unchanged
    loop_timer_add (loop, 20, false, s_timer_stop, &st);
    loop_run (loop);
    assert_int_equal (st.events [0] + st.events [1], 0);
    //  Data arrives: readable reported (level-triggered, every pass)
    assert_int_equal (write (st.pair [0][1], "abc", 3), 3);
    loop_run (loop);
    assert_int_equal (st.events [0], 3);
    assert_int_equal (st.events [1], 0);
    //  Edge-triggered: reported once for the same unread data
    st.events [0] = 0;
    assert_int_equal (loop_set_interest (loop, fd, LOOP_READABLE | LOOP_EDGE), 0);
    loop_timer_add (loop, 30, false, s_timer_stop, &st);
    loop_run (loop);
    assert_int_equal (st.events [0], 1);
    //  Unknown fds are refused
    assert_int_equal (loop_set_interest (loop, 100000, LOOP_READABLE), -1);
    assert_int_equal (loop_remove (loop, fd), 0);
    loop_destroy (&loop);
    close (st.pair [0][0]);
    close (st.pair [0][1]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_timers_fire_in_order),
        cmocka_unit_test (test_timer_repeat_and_cancel),
        cmocka_unit_test (test_hooks_order_and_again),
        cmocka_unit_test (test_remove_in_handler),
        cmocka_unit_test (test_interest_changes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    test_subs.c - room subscriptions: refcounts, probing, members, sequence
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "subs.h"

//  What the subscription events did, for the assertions.
typedef struct {
    int subscribed;
    int unsubscribed;
    char last_room [CHAT_ROOM_MAX + 1];
    uint64_t last_token;
} events_log_t;

static void
s_subscribe (void *owner, subs_room_t *room)
{
    events_log_t *log = (events_log_t *) owner;
    log->subscribed++;
    strcpy (log->last_room, subs_room_name (room));
    log->last_token = subs_room_token (room);
}

static void
s_unsubscribe (void *owner, const char *room)
{
    events_log_t *log = (events_log_t *) owner;
    log->unsubscribed++;
    strcpy (log->last_room, room);
}

typedef struct {
    events_log_t log;
    subs_t *subs;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fixture = (fixture_t *) calloc (1, sizeof (fixture_t));
    subs_events_t events = { s_subscribe, s_unsubscribe };
    fixture->subs = subs_new (&events, &fixture->log);
    *state = fixture;
    return fixture->subs? 0: -1;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_destroy (&fixture->subs);
    subs_destroy (&fixture->subs);
    assert_null (fixture->subs);
    free (fixture);
    return 0;
}

static void
test_subscribe_once_unsubscribe_once (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "rust");
    assert_int_equal (fixture->log.subscribed, 1);
    assert_string_equal (fixture->log.last_room, "rust");
    assert_int_equal (subs_room_state (room), SUBS_PROBING);
    assert_ptr_equal (subs_ref (fixture->subs, "rust"), room);
    assert_ptr_equal (subs_ref (fixture->subs, "rust"), room);
    assert_int_equal (fixture->log.subscribed, 1);
    assert_int_equal (subs_room_refs (room), 3);
    assert_int_equal (subs_size (fixture->subs), 1);

    subs_unref (fixture->subs, "rust");
    subs_unref (fixture->subs, "rust");
    assert_int_equal (fixture->log.unsubscribed, 0);
    assert_non_null (subs_lookup (fixture->subs, "rust"));
    subs_unref (fixture->subs, "rust");
    assert_int_equal (fixture->log.unsubscribed, 1);
    assert_string_equal (fixture->log.last_room, "rust");
    assert_null (subs_lookup (fixture->subs, "rust"));
    assert_int_equal (subs_size (fixture->subs), 0);

    //  Unknown rooms are ignored
    subs_unref (fixture->subs, "rust");
    subs_unref (fixture->subs, "nowhere");
    assert_int_equal (fixture->log.unsubscribed, 1);
}

static void
test_rooms_are_separate (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *rust = subs_ref (fixture->subs, "rust");
    subs_room_t *rustacean = subs_ref (fixture->subs, "rustacean");
    assert_ptr_not_equal (rust, rustacean);
    assert_int_equal (fixture->log.subscribed, 2);
    assert_true (subs_room_token (rust) != subs_room_token (rustacean));
    subs_unref (fixture->subs, "rustacean");
    assert_int_equal (fixture->log.unsubscribed, 1);
    assert_ptr_equal (subs_lookup (fixture->subs, "rust"), rust);
    subs_unref (fixture->subs, "rust");
}

static void
test_probe_to_live (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "general");
    uint64_t token = subs_room_token (room);
    assert_int_equal (token, fixture->log.last_token);
    //  Wrong token or wrong room: still probing
    assert_false (subs_probed (fixture->subs, "general", token + 1));
    assert_false (subs_probed (fixture->subs, "other", token));
    assert_int_equal (subs_room_state (room), SUBS_PROBING);
    assert_true (subs_probed (fixture->subs, "general", token));
    assert_int_equal (subs_room_state (room), SUBS_LIVE);
    //  A second PROBED (we probe every 100 ms) changes nothing
    assert_false (subs_probed (fixture->subs, "general", token));
    subs_unref (fixture->subs, "general");
}

static void
s_count_probing (void *arg, subs_room_t *room)
{
    (void) room;
    (*(int *) arg)++;
}

static void
test_each_probing (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *a = subs_ref (fixture->subs, "a");
    subs_ref (fixture->subs, "b");
    subs_ref (fixture->subs, "c");
    int count = 0;
    subs_each_probing (fixture->subs, s_count_probing, &count);
    assert_int_equal (count, 3);
    subs_probed (fixture->subs, "a", subs_room_token (a));
    count = 0;
    subs_each_probing (fixture->subs, s_count_probing, &count);
    assert_int_equal (count, 2);
}

//  After a router restart every room probes again with a new token; the
//  subscription itself stays (no subscribe event), sequence starts afresh.
static void
test_reprobe (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *a = subs_ref (fixture->subs, "a");
    subs_room_t *b = subs_ref (fixture->subs, "b");
    uint64_t token_a = subs_room_token (a);
    assert_true (subs_probed (fixture->subs, "a", token_a));
    assert_int_equal (subs_room_sequence (a, 5), 0);
    subs_reprobe (fixture->subs);
    assert_int_equal (fixture->log.subscribed, 2);
    assert_int_equal (subs_room_state (a), SUBS_PROBING);
    assert_int_equal (subs_room_state (b), SUBS_PROBING);
    int count = 0;
    subs_each_probing (fixture->subs, s_count_probing, &count);
    assert_int_equal (count, 2);
    assert_false (subs_probed (fixture->subs, "a", token_a));
    assert_true (subs_probed (fixture->subs, "a", subs_room_token (a)));
    assert_int_equal (subs_room_sequence (a, 1), 0);
    assert_int_equal (subs_room_sequence (a, 3), 1);
    subs_unref (fixture->subs, "a");
    subs_unref (fixture->subs, "b");
}

//  What subs_probe_due asked for, tick by tick.
typedef struct {
    int probes;                 //  PROBEs asked for this tick
    int resubscribes;           //  of which with a fresh subscription
} due_log_t;

static void
s_on_due (void *arg, subs_room_t *room, bool resubscribe)
{
    (void) room;
    due_log_t *log = (due_log_t *) arg;
    log->probes++;
    log->resubscribes += resubscribe;
}

//  An unanswered PROBE is resent with a backoff (ticks 1, 2, 4, 8, 16,
//  then every SUBS_PROBE_BACKOFF_MAX), from the SUBS_RESUBSCRIBE_AFTER-th
//  resend on after subscribing afresh; a PROBED ends it, a reprobe
//  starts it over. A live room is never due.
static void
test_probe_backoff (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "slow");
    subs_room_t *live = subs_ref (fixture->subs, "fast");
    assert_true (subs_probed (fixture->subs, "fast", subs_room_token (live)));
    int resend_ticks [SUBS_PROBE_BACKOFF_MAX * 4];
    int resends = 0;
    for (int tick = 1; tick <= SUBS_PROBE_BACKOFF_MAX * 3; tick++) {
        due_log_t log = { 0, 0 };
        subs_probe_due (fixture->subs, s_on_due, &log);
        assert_true (log.probes <= 1);
        if (log.probes) {
            resend_ticks [resends++] = tick;
            assert_int_equal (log.resubscribes, resends >= SUBS_RESUBSCRIBE_AFTER);
            assert_int_equal (subs_room_resends (room), resends);
        }
    }
    int expected [] = { 1, 2, 4, 8, 16, 32, 48 };
    assert_int_equal (resends, sizeof expected / sizeof expected [0]);
    for (int index = 0; index < resends; index++)
        assert_int_equal (resend_ticks [index], expected [index]);

    //  Answered: never due again; after a reprobe, due at once
    assert_true (subs_probed (fixture->subs, "slow", subs_room_token (room)));
    due_log_t log = { 0, 0 };
    subs_probe_due (fixture->subs, s_on_due, &log);
    assert_int_equal (log.probes, 0);
    subs_reprobe (fixture->subs);
    subs_probe_due (fixture->subs, s_on_due, &log);
    assert_int_equal (log.probes, 2);
    assert_int_equal (log.resubscribes, 0);
    subs_unref (fixture->subs, "slow");
    subs_unref (fixture->subs, "fast");
}

//  A waiter that gave up is forgotten; the others stay.
static void
test_unwait (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "a");
    subs_room_wait (room, 1);
    subs_room_wait (room, 2);
    subs_room_wait (room, 3);
    subs_room_unwait (room, 2);
    subs_room_unwait (room, 42);
    size_t count;
    uint64_t *waiters = subs_room_take_waiters (room, &count);
    assert_int_equal (count, 2);
    assert_true ((waiters [0] == 1 && waiters [1] == 3) || (waiters [0] == 3 && waiters [1] == 1));
    free (waiters);
    subs_unref (fixture->subs, "a");
}

static void
test_resubscribe_gets_new_token (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "rust");
    uint64_t old_token = subs_room_token (room);
    assert_true (subs_probed (fixture->subs, "rust", old_token));
    subs_unref (fixture->subs, "rust");
    //  Leave and come back before the old PROBED would arrive: a stale
    //  answer must not make the new subscription live
    room = subs_ref (fixture->subs, "rust");
    assert_int_equal (fixture->log.subscribed, 2);
    assert_int_equal (subs_room_state (room), SUBS_PROBING);
    assert_false (subs_probed (fixture->subs, "rust", old_token));
    assert_true (subs_probed (fixture->subs, "rust", subs_room_token (room)));
    subs_unref (fixture->subs, "rust");
}

static void
test_waiters (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "rust");
    size_t count = 99;
    uint64_t *waiters = subs_room_take_waiters (room, &count);
    assert_null (waiters);
    assert_int_equal (count, 0);
    for (uint64_t id = 1; id <= 10; id++)
        subs_room_wait (room, id);
    waiters = subs_room_take_waiters (room, &count);
    assert_int_equal (count, 10);
    for (uint64_t id = 1; id <= 10; id++)
        assert_int_equal (waiters [id - 1], id);
    free (waiters);
    waiters = subs_room_take_waiters (room, &count);
    assert_int_equal (count, 0);
    assert_null (waiters);
    //  Waiters left when the room goes are freed with it
    subs_room_wait (room, 42);
    subs_unref (fixture->subs, "rust");
}

static void
test_members (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *rust = subs_ref (fixture->subs, "rust");
    subs_room_t *general = subs_ref (fixture->subs, "general");
    enum { COUNT = 20 };
    subs_member_t members [COUNT];
    memset (members, 0, sizeof (members));
    for (int index = 0; index < COUNT; index++) {
        members [index].id = (uint64_t) index;
        subs_member_add (rust, &members [index]);
    }
    size_t count;
    subs_member_t **array = subs_room_members (rust, &count);
    assert_int_equal (count, COUNT);
    for (size_t index = 0; index < count; index++)
        assert_int_equal (array [index]->index, index);

    //  Adding twice is a no-op
    subs_member_add (rust, &members [3]);
    subs_room_members (rust, &count);
    assert_int_equal (count, COUNT);

    //  Remove from the middle, the end and the start; indexes stay right
    subs_member_remove (&members [7]);
    subs_member_remove (&members [COUNT - 1]);
    subs_member_remove (&members [0]);
    subs_member_remove (&members [0]);          //  not a member: no-op
    array = subs_room_members (rust, &count);
    assert_int_equal (count, COUNT - 3);
    for (size_t index = 0; index < count; index++) {
        assert_int_equal (array [index]->index, index);
        assert_ptr_equal (array [index]->room, rust);
        assert_true (array [index] != &members [7] && array [index] != &members [0]);
    }
    assert_null (members [7].room);

    //  Moving to another room leaves the first
    subs_member_add (general, &members [5]);
    assert_ptr_equal (members [5].room, general);
    subs_room_members (rust, &count);
    assert_int_equal (count, COUNT - 4);
    subs_room_members (general, &count);
    assert_int_equal (count, 1);

    //  When a room goes, its members are detached
    subs_unref (fixture->subs, "rust");
    assert_null (members [1].room);
    subs_member_remove (&members [1]);          //  harmless
    subs_unref (fixture->subs, "general");
    assert_null (members [5].room);
}

static void
test_sequence (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *room = subs_ref (fixture->subs, "rust");
    subs_probed (fixture->subs, "rust", subs_room_token (room));
    //  First message after LIVE only sets the counter
    assert_int_equal (subs_room_sequence (room, 17), 0);
    assert_int_equal (subs_room_sequence (room, 18), 0);
    assert_int_equal (subs_room_sequence (room, 19), 0);
    //  A jump: 20..24 missed
    assert_int_equal (subs_room_sequence (room, 25), 5);
    assert_int_equal (subs_room_sequence (room, 26), 0);
    //  Router restarted: numbers start again, nothing reported
    assert_int_equal (subs_room_sequence (room, 1), 0);
    assert_int_equal (subs_room_sequence (room, 2), 0);
    assert_int_equal (subs_room_sequence (room, 2), 0);
    assert_int_equal (subs_room_sequence (room, 4), 1);
    subs_unref (fixture->subs, "rust");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_subscribe_once_unsubscribe_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rooms_are_separate, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_probe_to_live, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_each_probing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reprobe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resubscribe_gets_new_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_probe_backoff, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unwait, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_waiters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_members, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sequence, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

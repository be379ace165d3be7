/*  =========================================================================
    test_store.c - the history store contract, run against every backend

    Each test below runs once per backend in s_backends (memory, and
    sqlite on a file in a temp dir), through store.h only. A backend
    passes or it does not: what only a persistent store can do is asked of
    every store that reports STORE_PERSISTENT, and a store that does not
    report it must show that it forgets on close (no silent skip).
    The SQLite backend's own bad cases are in test_store_sqlite.c.
    =========================================================================
*/
#include "store_fixture.h"

#define TEST_RECORDS            100     //  records of the ordinary tests
#define TEST_RING               10      //  history-size of the ring tests
#define TEST_PAGE               7       //  /history page size
#define TEST_ROOMS              3       //  rooms filled before the memory bound bites
#define TEST_ROOM_LINES         10      //  records in each of them
#define TEST_BOUND_LINES        400     //  records the newest room gets under the bound
#define TEST_MEASURE_LINES      1000    //  records for the bytes-per-record figure
#define TEST_MEASURE_TEXT       40      //  bytes of a typical chat line's text padding

static int
s_setup_memory (void **state)
{
    return s_setup_backend (state, "memory");
}

static int
s_setup_sqlite (void **state)
{
    return s_setup_backend (state, "sqlite");
}

//  Append, then the last N, oldest first, every field intact.
static void
test_append_last (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_t *store = s_open (self);
    assert_non_null (store);
    assert_string_equal (store_name (store), self->backend);
    seen_t seen;
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), 0);
    s_append_run (store, "rust", 1, TEST_RECORDS);
    assert_int_equal (s_last (store, "rust", 0, 5, &seen), 5);
    s_assert_run (&seen, TEST_RECORDS - 4, TEST_RECORDS);
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS * 2, &seen), TEST_RECORDS);
    s_assert_run (&seen, 1, TEST_RECORDS);
    assert_int_equal (s_last (store, "rust", 0, 0, &seen), 0);
    assert_int_equal (s_last (store, "nowhere", 0, 5, &seen), 0);

    //  A visitor may stop early
    memset (&seen, 0, sizeof (seen));
    seen.stop_after = 2;
    assert_int_equal (store_last (store, "rust", 0, 5, s_collect, &seen), 2);
    s_assert_run (&seen, TEST_RECORDS - 4, TEST_RECORDS - 3);

    //  Longest fields go in and come back whole
    char room [CHAT_ROOM_MAX + 1], nick [CHAT_NICK_MAX + 1], gateway [WIRE_GATEWAY_MAX + 1];
    memset (room, 'r', CHAT_ROOM_MAX);
    room [CHAT_ROOM_MAX] = 0;
    memset (nick, 'n', CHAT_NICK_MAX);
    nick [CHAT_NICK_MAX] = 0;
    memset (gateway, 'g', WIRE_GATEWAY_MAX);
    gateway [WIRE_GATEWAY_MAX] = 0;
    char text [WIRE_TEXT_MAX + 1];
    store_record_t record;
    s_record (&record, room, 1, text, WIRE_TEXT_MAX - strlen (room) - strlen (" line 1"));
    assert_int_equal (strlen (text), WIRE_TEXT_MAX);
    assert_int_equal (store_append (store, &record), 0);
    assert_int_equal (s_last (store, room, 0, 1, &seen), 1);
}

//  A record that breaks the rules is refused and leaves no trace.
static void
test_refused (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 5, 6);
    //  seq must climb: equal, lower and 0 are refused
    assert_int_equal (s_append (store, "rust", 6), -1);
    assert_int_equal (s_append (store, "rust", 3), -1);
    assert_int_equal (s_append (store, "rust", 0), -1);
    char text [WIRE_TEXT_MAX + 2];
    store_record_t record;
    s_record (&record, "rust", 7, text, 0);
    record.kind = (store_kind_t) 0;
    assert_int_equal (store_append (store, &record), -1);
    record.kind = STORE_CHAT;
    record.room = "";
    assert_int_equal (store_append (store, &record), -1);
    record.room = "a234567890123456789012345678901bc";      //  CHAT_ROOM_MAX + 1
    assert_int_equal (store_append (store, &record), -1);
    record.room = "rust";
    record.nick = NULL;
    assert_int_equal (store_append (store, &record), -1);
    record.nick = "n234567890123456789012345678901bc";      //  CHAT_NICK_MAX + 1
    assert_int_equal (store_append (store, &record), -1);
    record.nick = "alice";
    memset (text, TEST_PAD, WIRE_TEXT_MAX + 1);             //  one byte over
    text [WIRE_TEXT_MAX + 1] = 0;
    assert_int_equal (store_append (store, &record), -1);
    store_room_info_t info = s_info (store, "rust");
    assert_int_equal (info.records, 2);
    assert_int_equal (info.first_seq, 5);
    assert_int_equal (info.last_seq, 6);
    //  A gateway may be unknown (NULL reads back as "")
    s_record (&record, "go", 1, text, 0);
    record.gateway = NULL;
    assert_int_equal (store_append (store, &record), 0);
    assert_int_equal (s_info (store, "go").records, 1);
}

//  Ranges (recovery) and pages back in time (/history N before SEQ),
//  over seqs with gaps as a room's seqs have.
static void
test_range_paging (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_t *store = s_open (self);
    assert_non_null (store);
    //  Even seqs 2..200: the odd ones were joins and leaves
    for (uint64_t seq = 2; seq <= TEST_RECORDS * 2; seq += 2)
        assert_int_equal (s_append (store, "rust", seq), 0);
    seen_t seen;
    assert_int_equal (s_range (store, "rust", 3, 11, TEST_RECORDS, &seen), 4);
    assert_int_equal (seen.seq [0], 4);
    assert_int_equal (seen.seq [3], 10);
    //  The oldest of a range come first when count cuts it
    assert_int_equal (s_range (store, "rust", 1, UINT64_MAX, 3, &seen), 3);
    assert_int_equal (seen.seq [0], 2);
    assert_int_equal (seen.seq [2], 6);
    assert_int_equal (s_range (store, "rust", 200, 200, 3, &seen), 1);
    assert_int_equal (s_range (store, "rust", 201, 300, 3, &seen), 0);
    assert_int_equal (s_range (store, "rust", 9, 3, 3, &seen), 0);
    assert_int_equal (s_range (store, "rust", 5, 5, 3, &seen), 0);

    //  before: the newest records below it
    assert_int_equal (s_last (store, "rust", 11, 3, &seen), 3);
    assert_int_equal (seen.seq [0], 6);
    assert_int_equal (seen.seq [2], 10);
    assert_int_equal (s_last (store, "rust", 2, 3, &seen), 0);

    //  Paging back from the end visits every record once, in order
    uint64_t all [TEST_RECORDS];
    size_t total = 0;
    uint64_t before = 0;
    while (s_last (store, "rust", before, TEST_PAGE, &seen) > 0) {
        assert_true (total + seen.count <= TEST_RECORDS);
        memmove (all + seen.count, all, total * sizeof (uint64_t));
        memcpy (all, seen.seq, seen.count * sizeof (uint64_t));
        total += seen.count;
        before = seen.seq [0];
    }
    assert_int_equal (total, TEST_RECORDS);
    for (size_t index = 0; index < total; index++)
        assert_int_equal (all [index], 2 * (index + 1));
}

//  history-size per room: the ring keeps the newest, oldest go first.
static void
test_ring_wrap (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->config.history_size = TEST_RING;
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 1, TEST_RING);
    seen_t seen;
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), TEST_RING);
    s_assert_run (&seen, 1, TEST_RING);
    //  Wrap several times over
    s_append_run (store, "rust", TEST_RING + 1, TEST_RING * 3 + 3);
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), TEST_RING);
    s_assert_run (&seen, TEST_RING * 2 + 4, TEST_RING * 3 + 3);
    store_room_info_t info = s_info (store, "rust");
    assert_int_equal (info.records, TEST_RING);
    assert_int_equal (info.first_seq, TEST_RING * 2 + 4);
    assert_int_equal (info.last_seq, TEST_RING * 3 + 3);
    //  What wrapped away is gone from ranges too
    assert_int_equal (s_range (store, "rust", 1, TEST_RING * 2 + 3, TEST_RECORDS, &seen), 0);
    assert_int_equal (s_range (store, "rust", 1, TEST_RING * 2 + 5, TEST_RECORDS, &seen), 2);
    //  Binary search across the wrapped ring
    assert_int_equal (s_last (store, "rust", TEST_RING * 3, 2, &seen), 2);
    s_assert_run (&seen, TEST_RING * 3 - 2, TEST_RING * 3 - 1);
    store_stats_t stats;
    store_stats (store, &stats);
    assert_int_equal (stats.records, TEST_RING);
    assert_int_equal (stats.appends, TEST_RING * 3 + 3);
    assert_int_equal (stats.evicted, 0);        //  wrapping is retention, not eviction
}

//  Rooms do not see each other's records or numbers.
static void
test_rooms_isolated (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->config.history_size = TEST_RING;
    store_t *store = s_open (self);
    assert_non_null (store);
    for (uint64_t seq = 1; seq <= TEST_RECORDS; seq++) {
        assert_int_equal (s_append (store, "rust", seq), 0);
        if (seq % 2 == 0)
            assert_int_equal (s_append (store, "go", seq / 2), 0);
    }
    //  Room names are exact: no prefix or case folding in the store
    assert_int_equal (s_append (store, "gopher", 1), 0);
    assert_int_equal (s_append (store, "Go", 1), 0);
    seen_t seen;
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), TEST_RING);
    s_assert_run (&seen, TEST_RECORDS - TEST_RING + 1, TEST_RECORDS);
    assert_int_equal (s_last (store, "go", 0, TEST_RECORDS, &seen), TEST_RING);
    s_assert_run (&seen, TEST_RECORDS / 2 - TEST_RING + 1, TEST_RECORDS / 2);
    assert_int_equal (s_info (store, "rust").last_seq, TEST_RECORDS);
    assert_int_equal (s_info (store, "go").last_seq, TEST_RECORDS / 2);
    assert_int_equal (s_info (store, "gopher").last_seq, 1);
    assert_int_equal (s_info (store, "Go").records, 1);
    assert_int_equal (s_info (store, "g").records, 0);
    store_stats_t stats;
    store_stats (store, &stats);
    assert_int_equal (stats.rooms, 4);
    assert_int_equal (stats.records, TEST_RING * 2 + 2);
}

//  The memory bound: least recently written rooms lose their history
//  first, oldest lines first; the room being written keeps its newest.
static void
test_memory_bound (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  What three rooms of ten lines cost, measured on a memory store:
    //  the SQLite backend's cache is the same code, charged the same
    store_t *probe = store_new ("memory", &self->config);
    assert_non_null (probe);
    const char *rooms [TEST_ROOMS] = { "a", "b", "c" };
    for (size_t index = 0; index < TEST_ROOMS; index++)
        s_append_run (probe, rooms [index], 1, TEST_ROOM_LINES);
    store_stats_t stats;
    store_stats (probe, &stats);
    store_destroy (&probe);
    uint64_t room_cost = stats.bytes / TEST_ROOMS;
    self->config.memory_max = (int64_t) (stats.bytes + room_cost / 2);

    store_t *store = s_open (self);
    assert_non_null (store);
    for (size_t index = 0; index < TEST_ROOMS; index++)
        s_append_run (store, rooms [index], 1, TEST_ROOM_LINES);
    s_append_run (store, "a", TEST_ROOM_LINES + 1, TEST_ROOM_LINES + 1);   //  a is fresh again
    store_stats (store, &stats);
    assert_int_equal (stats.evicted, 0);
    assert_int_equal (stats.rooms, TEST_ROOMS);

    //  Room d grows: b goes first (oldest write), then c, then a
    uint64_t seq = 0;
    seen_t seen;
    while (s_info (store, "b").records > 0) {
        assert_int_equal (s_append (store, "d", ++seq), 0);
        store_stats (store, &stats);
        assert_true (stats.bytes <= (uint64_t) self->config.memory_max);
        assert_int_equal (s_info (store, "c").records, TEST_ROOM_LINES);
        assert_int_equal (s_info (store, "a").records, TEST_ROOM_LINES + 1);
        //  b loses its oldest lines, keeps its newest
        size_t left = s_last (store, "b", 0, TEST_ROOM_LINES, &seen);
        s_assert_run (&seen, TEST_ROOM_LINES - left + 1, TEST_ROOM_LINES);
    }
    assert_int_equal (s_info (store, "b").last_seq, 0);
    while (s_info (store, "c").records > 0) {
        assert_int_equal (s_append (store, "d", ++seq), 0);
        assert_int_equal (s_info (store, "a").records, TEST_ROOM_LINES + 1);
    }
    //  Alone over the bound, d keeps its newest lines
    while (seq < TEST_BOUND_LINES) {
        assert_int_equal (s_append (store, "d", ++seq), 0);
        store_stats (store, &stats);
        assert_true (stats.bytes <= (uint64_t) self->config.memory_max);
    }
    assert_int_equal (s_info (store, "a").records, 0);
    store_room_info_t info = s_info (store, "d");
    assert_true (info.records > 0 && info.records < TEST_BOUND_LINES);
    assert_int_equal (info.last_seq, TEST_BOUND_LINES);
    assert_int_equal (s_last (store, "d", 0, TEST_BOUND_LINES, &seen), info.records);
    s_assert_run (&seen, TEST_BOUND_LINES - info.records + 1, TEST_BOUND_LINES);
    store_stats (store, &stats);
    assert_int_equal (stats.rooms, 1);
    assert_int_equal (stats.evicted, TEST_ROOMS * TEST_ROOM_LINES + 1
                                   + TEST_BOUND_LINES - info.records);
    //  A dropped room starts over, as a new one
    assert_int_equal (s_append (store, "b", 1), 0);

    //  A persistent store forgets what memory forgot
    if (store_capabilities (store) & STORE_PERSISTENT) {
        assert_int_equal (store_sync (store), 0);
        store = s_open (self);
        assert_non_null (store);
        assert_int_equal (s_info (store, "a").records, 0);
        assert_int_equal (s_info (store, "c").records, 0);
        store_room_info_t reloaded = s_info (store, "d");
        assert_int_equal (reloaded.last_seq, TEST_BOUND_LINES);
        assert_true (reloaded.records > 0 && reloaded.records <= info.records);
        assert_int_equal (s_last (store, "d", 0, TEST_BOUND_LINES, &seen), reloaded.records);
        s_assert_run (&seen, TEST_BOUND_LINES - reloaded.records + 1, TEST_BOUND_LINES);
    }
}

//  Counters, and the memory one record really costs.
static void
test_stats (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_t *store = s_open (self);
    assert_non_null (store);
    store_stats_t stats;
    store_stats (store, &stats);
    assert_int_equal (stats.records, 0);
    assert_int_equal (stats.rooms, 0);
    assert_string_equal (stats.last_error, "");
    assert_int_equal (s_append_padded (store, "general", 1, TEST_MEASURE_TEXT), 0);
    store_stats (store, &stats);
    uint64_t one = stats.bytes;
    for (uint64_t seq = 2; seq <= TEST_MEASURE_LINES; seq++)
        assert_int_equal (s_append_padded (store, "general", seq, TEST_MEASURE_TEXT), 0);
    store_stats (store, &stats);
    assert_int_equal (stats.records, TEST_MEASURE_LINES);
    assert_int_equal (stats.appends, TEST_MEASURE_LINES);
    assert_int_equal (stats.rooms, 1);
    //  Measured 120 bytes (glibc, x86-64) for a 56-byte text ("general
    //  line 500" + 40), a 5-byte nick and gateway "gw1": one allocation of
    //  29 bytes of header + 67 of strings (104 usable + 8 of malloc's
    //  header), and an 8-byte ring slot.
    double per_record = (double) (stats.bytes - one) / (TEST_MEASURE_LINES - 1);
    print_message ("store %s: %.1f bytes per record (text %d bytes + \"general line N\")\n",
                   self->backend, per_record, TEST_MEASURE_TEXT);
    assert_true (per_record < WIRE_TEXT_MAX / 16);
    if (store_capabilities (store) & STORE_PERSISTENT) {
        assert_int_equal (store_sync (store), 0);
        store_stats (store, &stats);
        assert_int_equal (stats.pending, 0);
        assert_int_equal (stats.written, TEST_MEASURE_LINES);
        assert_int_equal (stats.write_errors, 0);
    }
    else
        assert_int_equal (stats.pending, 0);
}

//  tick asks to be called again only while work waits; sync drains it,
//  also when a batch the tick sent is still being answered.
static void
test_tick_sync (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->config.batch_ms = 0;      //  the first tick hands the batch over
    store_t *store = s_open (self);
    assert_non_null (store);
    assert_int_equal (store_tick (store, zclock_mono ()), -1);
    s_append_run (store, "rust", 1, TEST_RECORDS);
    int64_t wait = store_tick (store, zclock_mono ());
    store_stats_t stats;
    store_stats (store, &stats);
    if (store_capabilities (store) & STORE_PERSISTENT) {
        assert_true (wait >= 0 && wait <= self->config.batch_ms + STORE_RETRY_MS);
        assert_int_equal (stats.pending, TEST_RECORDS);
    }
    else
        assert_int_equal (wait, -1);
    assert_int_equal (store_sync (store), 0);
    assert_int_equal (store_sync (store), 0);
    store_stats (store, &stats);
    assert_int_equal (stats.pending, 0);
    assert_int_equal (store_tick (store, zclock_mono ()), -1);
    seen_t seen;
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), TEST_RECORDS);
}

//  Close and open again: a persistent store has every record back and
//  the numbers continue; any other must show it starts empty.
static void
test_persistence (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    self->config.history_size = TEST_RING;
    store_t *store = s_open (self);
    assert_non_null (store);
    s_append_run (store, "rust", 1, TEST_RING * 2);
    s_append_run (store, "go", 1, 3);
    bool persistent = store_capabilities (store) & STORE_PERSISTENT;
    store_destroy (&self->store);
    assert_null (self->store);
    store_destroy (&self->store);

    store = s_open (self);
    assert_non_null (store);
    seen_t seen;
    store_stats_t stats;
    store_stats (store, &stats);
    assert_int_equal (stats.appends, 0);        //  counted since this open
    assert_int_equal (stats.records, persistent? TEST_RING + 3: 0);
    store_room_info_t info = s_info (store, "rust");
    if (!persistent) {
        assert_int_equal (info.last_seq, 0);
        assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), 0);
        return;
    }
    assert_int_equal (info.last_seq, TEST_RING * 2);
    assert_int_equal (info.first_seq, TEST_RING + 1);
    assert_int_equal (s_last (store, "rust", 0, TEST_RECORDS, &seen), TEST_RING);
    s_assert_run (&seen, TEST_RING + 1, TEST_RING * 2);
    assert_int_equal (s_last (store, "go", 0, TEST_RECORDS, &seen), 3);
    //  Numbering continues from last_seq, and an old seq stays refused
    assert_int_equal (s_append (store, "rust", TEST_RING * 2), -1);
    assert_int_equal (s_append (store, "rust", TEST_RING * 2 + 1), 0);
    store = s_open (self);
    assert_non_null (store);
    assert_int_equal (s_info (store, "rust").last_seq, TEST_RING * 2 + 1);
    assert_int_equal (s_info (store, "rust").records, TEST_RING);
}

//  Specs and settings store_new refuses, each with one error line.
static void
test_bad_spec (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    const char *bad [] = { "", "bogus", "memory:x", "sqlite", "sqlite:", "memoryx", "sql:x" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++)
        assert_null (store_new (bad [index], &self->config));
    store_config_t config = self->config;
    config.history_size = 0;
    assert_null (store_new (self->spec, &config));
    config.history_size = STORE_HISTORY_SIZE_MAX + 1;
    assert_null (store_new (self->spec, &config));
    config = self->config;
    config.memory_max = 0;
    assert_null (store_new (self->spec, &config));
    //  NULL means the default, memory
    store_t *store = store_new (NULL, &self->config);
    assert_non_null (store);
    assert_string_equal (store_name (store), STORE_DEFAULT_SPEC);
    store_destroy (&store);
}

//  One test of the contract against one backend, named backend/test
#define TEST_ONE(backend, test) \
    { #backend "/" #test, test, s_setup_##backend, s_teardown, NULL }
#define TEST_CONTRACT(backend) \
    TEST_ONE (backend, test_append_last), \
    TEST_ONE (backend, test_refused), \
    TEST_ONE (backend, test_range_paging), \
    TEST_ONE (backend, test_ring_wrap), \
    TEST_ONE (backend, test_rooms_isolated), \
    TEST_ONE (backend, test_memory_bound), \
    TEST_ONE (backend, test_stats), \
    TEST_ONE (backend, test_tick_sync), \
    TEST_ONE (backend, test_persistence), \
    TEST_ONE (backend, test_bad_spec)

int
main (void)
{
    zsys_init ();
    //  Every backend store.c knows, each through the whole contract
    const struct CMUnitTest tests [] = {
        TEST_CONTRACT (memory),
        TEST_CONTRACT (sqlite),
    };
    return cmocka_run_group_tests_name ("store contract", tests, NULL, NULL);
}

/*  =========================================================================
    store_fixture.h - history records to store and check, temp dirs, logs

    Shared by test_store.c (the contract suite every backend passes) and
    test_store_sqlite.c (the SQLite backend's own bad cases). Every record
    a test appends is made by s_record from (room, seq), and every record
    a store returns goes through s_collect, which rebuilds the expected
    fields from the seq and checks each one: so any test also proves the
    fields survive the trip (memory, or file and reload). The helpers are
    static inline so a program that does not use one gets no warning.
    =========================================================================
*/
#ifndef STORE_FIXTURE_H_INCLUDED
#define STORE_FIXTURE_H_INCLUDED

#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "store.h"
#include <sys/mount.h>

#define TEST_TIME_BASE          1764547200000LL     //  2025-12-01 UTC, ms
#define TEST_SEEN_MAX           4096    //  records one collect can hold
#define TEST_DIR_MAX            128
#define TEST_MOUNT_MAX          (TEST_DIR_MAX + 16)  //  dir + "/disk"
#define TEST_PATH_MAX           256     //  dir or mount + file name
#define TEST_SPEC_MAX           512     //  "sqlite:" + path
#define TEST_LOG_MAX            65536   //  bytes of captured log read back
#define TEST_PAD                'x'     //  filler of long test lines

typedef struct {
    char dir [TEST_DIR_MAX];        //  temp dir of this test
    char path [TEST_PATH_MAX];      //  the database file (sqlite)
    char spec [TEST_SPEC_MAX];      //  store_new's spec
    const char *backend;            //  "memory" or "sqlite"
    store_config_t config;          //  what s_open uses
    store_t *store;                 //  open store, destroyed by teardown
    FILE *log;                      //  captured log, or NULL
    char mount [TEST_MOUNT_MAX];     //  a tmpfs mounted by the test, or ""
} fixture_t;

//  Records the store visited, checked on the way in.
typedef struct {
    uint64_t seq [TEST_SEEN_MAX];
    size_t count;
    size_t stop_after;              //  return -1 after this many (0: never)
} seen_t;

//  Fill record with the fields the test expects for (room, seq); text
//  gets pad filler bytes after "ROOM line SEQ". buffer holds the text.
static inline void
s_record (store_record_t *record, const char *room, uint64_t seq, char *buffer, size_t pad)
{
    int size = snprintf (buffer, WIRE_TEXT_MAX + 1, "%s line %" PRIu64, room, seq);
    assert_true (size > 0 && (size_t) size + pad <= WIRE_TEXT_MAX);
    memset (buffer + size, TEST_PAD, pad);
    buffer [size + pad] = 0;
    record->room = room;
    record->seq = seq;
    record->time = TEST_TIME_BASE + (int64_t) seq;
    record->kind = seq % 2? STORE_CHAT: STORE_ACTION;
    record->nick = seq % 2? "alice": "bob";
    record->text = buffer;
    record->gateway = "gw1";
    record->client = seq * 7;
}

static inline int
s_append_padded (store_t *store, const char *room, uint64_t seq, size_t pad)
{
    char buffer [WIRE_TEXT_MAX + 1];
    store_record_t record;
    s_record (&record, room, seq, buffer, pad);
    return store_append (store, &record);
}

static inline int
s_append (store_t *store, const char *room, uint64_t seq)
{
    return s_append_padded (store, room, seq, 0);
}

//  Append seqs first..last to room; each must be accepted.
static inline void
s_append_run (store_t *store, const char *room, uint64_t first, uint64_t last)
{
    for (uint64_t seq = first; seq <= last; seq++)
        assert_int_equal (s_append (store, room, seq), 0);
}

static inline int
s_collect (const store_record_t *record, void *arg)
{
    seen_t *seen = (seen_t *) arg;
    char expected [WIRE_TEXT_MAX + 1];
    int size = snprintf (expected, sizeof (expected), "%s line %" PRIu64, record->room,
                         record->seq);
    assert_memory_equal (record->text, expected, (size_t) size);
    for (const char *pad = record->text + size; *pad; pad++)
        assert_int_equal (*pad, TEST_PAD);
    assert_int_equal (record->time, TEST_TIME_BASE + (int64_t) record->seq);
    assert_int_equal (record->kind, record->seq % 2? STORE_CHAT: STORE_ACTION);
    assert_string_equal (record->nick, record->seq % 2? "alice": "bob");
    assert_string_equal (record->gateway, "gw1");
    assert_int_equal (record->client, record->seq * 7);
    //  Ascending, as promised
    if (seen->count)
        assert_true (record->seq > seen->seq [seen->count - 1]);
    assert_true (seen->count < TEST_SEEN_MAX);
    seen->seq [seen->count++] = record->seq;
    return seen->stop_after && seen->count >= seen->stop_after? -1: 0;
}

//  Collect the last count records of room before seq `before`.
static inline size_t
s_last (store_t *store, const char *room, uint64_t before, size_t count, seen_t *seen)
{
    memset (seen, 0, sizeof (*seen));
    size_t visited = store_last (store, room, before, count, s_collect, seen);
    assert_int_equal (visited, seen->count);
    return visited;
}

static inline size_t
s_range (store_t *store, const char *room, uint64_t from, uint64_t to, size_t count,
         seen_t *seen)
{
    memset (seen, 0, sizeof (*seen));
    size_t visited = store_range (store, room, from, to, count, s_collect, seen);
    assert_int_equal (visited, seen->count);
    return visited;
}

//  Assert the seen seqs are exactly first..last.
static inline void
s_assert_run (const seen_t *seen, uint64_t first, uint64_t last)
{
    assert_int_equal (seen->count, last >= first? last - first + 1: 0);
    for (size_t index = 0; index < seen->count; index++)
        assert_int_equal (seen->seq [index], first + index);
}

static inline store_room_info_t
s_info (store_t *store, const char *room)
{
    store_room_info_t info;
    store_room_info (store, room, &info);
    return info;
}

static inline int
s_setup_backend (void **state, const char *backend)
{
    fixture_t *self = (fixture_t *) calloc (1, sizeof (fixture_t));
    assert_non_null (self);
    snprintf (self->dir, sizeof (self->dir), "/tmp/zchat-store-XXXXXX");
    assert_non_null (mkdtemp (self->dir));
    snprintf (self->path, sizeof (self->path), "%s/history.db", self->dir);
    self->backend = backend;
    if (streq (backend, "sqlite"))
        snprintf (self->spec, sizeof (self->spec), "sqlite:%s", self->path);
    else
        snprintf (self->spec, sizeof (self->spec), "%s", backend);
    store_config_defaults (&self->config);
    *state = self;
    return 0;
}

//  (Re)open the fixture's store with its config.
static inline store_t *
s_open (fixture_t *self)
{
    store_destroy (&self->store);
    self->store = store_new (self->spec, &self->config);
    return self->store;
}

//  Send the log to a temp file from now on.
static inline void
s_log_capture (fixture_t *self)
{
    self->log = tmpfile ();
    assert_non_null (self->log);
    zsys_set_logstream (self->log);
}

//  Stop capturing; returns the captured log (caller frees).
static inline char *
s_log_release (fixture_t *self)
{
    zsys_set_logstream (stderr);
    char *text = (char *) calloc (1, TEST_LOG_MAX + 1);
    assert_non_null (text);
    if (self->log) {
        rewind (self->log);
        size_t size = fread (text, 1, TEST_LOG_MAX, self->log);
        text [size] = 0;
        fclose (self->log);
        self->log = NULL;
        fputs (text, stderr);       //  still visible in the test's output
    }
    return text;
}

//  Lines of text that contain needle.
static inline size_t
s_count_lines (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *line = text; line && *line; ) {
        const char *end = strchr (line, '\n');
        size_t size = end? (size_t) (end - line): strlen (line);
        if (memmem (line, size, needle, strlen (needle)))
            count++;
        line = end? end + 1: NULL;
    }
    return count;
}

//  Remove a temp dir and everything in it.
static inline void
s_remove_dir (const char *path)
{
    zdir_t *dir = zdir_new (path, NULL);
    if (dir)
        zdir_remove (dir, true);
    zdir_destroy (&dir);
}

static inline int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    store_destroy (&self->store);
    if (self->log)
        free (s_log_release (self));
    if (*self->mount && umount2 (self->mount, MNT_DETACH) != 0)
        fail_msg ("cannot unmount %s: %s", self->mount, strerror (errno));
    s_remove_dir (self->dir);
    free (self);
    return 0;
}

#endif

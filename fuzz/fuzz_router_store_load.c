/*  =========================================================================
    fuzz_router_store_load.c - history read back from an SQLite file

    The SQLite store trusts nothing it reads back: the file may have been
    edited by hand, restored from an old backup or damaged. The input is
    a list of rows (room, seq, time, kind, nick, text, gateway, client,
    each field drawn from the input, strings of any bytes and any length
    up to twice their limit, numbers of any value); the target writes
    them straight into a zchat history file with SQLite, opens it with
    store_new as the router does at start, and checks that what the
    store then serves keeps the record rules: every record store_last
    returns is valid (store_record_valid), seqs ascend, and a room holds
    no more than --history-size records. A file per input keeps every
    finding reproducible; it lives in a temporary directory.
    =========================================================================
*/
#include "fuzz.h"
#include "store.h"
#include <sqlite3.h>

#define FUZZ_ROWS_MAX       32          //  rows per input
#define FUZZ_HISTORY_SIZE   8           //  small, so pruning and bounds are reached
#define FUZZ_BUSY_MS        2000        //  wait this long for a lock on the file
#define FUZZ_INSERT_SQL \
    "INSERT OR REPLACE INTO history (room, seq, time, kind, nick, text, gateway, client)" \
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

static const char *s_rooms [] = { "general", "rust", "a\nb", "" };

static char s_directory [] = "/tmp/zchat-fuzz-store-XXXXXX";
static char s_path [sizeof (s_directory) + 16];

static int64_t
s_number (fuzz_input_t *input)
{
    uint64_t value = 0;
    for (int index = 0; index < 8; index++)
        value = (value << 8) | fuzz_byte (input);
    return (int64_t) value;
}

//  A text field: any bytes, up to twice limit, as a blob or as text.
static void
s_bind_text (sqlite3_stmt *statement, int column, fuzz_input_t *input, size_t limit)
{
    size_t taken;
    const uint8_t *bytes = fuzz_slice (input, fuzz_length (input) % (limit * 2 + 1), &taken);
    if (fuzz_byte (input) & 1)
        sqlite3_bind_blob (statement, column, bytes, (int) taken, SQLITE_TRANSIENT);
    else
        sqlite3_bind_text (statement, column, (const char *) bytes, (int) taken, SQLITE_TRANSIENT);
}

static void
s_write_rows (fuzz_input_t *input)
{
    sqlite3 *db = NULL;
    FUZZ_CHECK (sqlite3_open (s_path, &db) == SQLITE_OK);
    //  Seen once in 10 000 runs: the file still locked just after the
    //  previous store_destroy returned; wait for it rather than fail
    sqlite3_busy_timeout (db, FUZZ_BUSY_MS);
    sqlite3_stmt *insert = NULL;
    if (sqlite3_prepare_v2 (db, FUZZ_INSERT_SQL, -1, &insert, NULL) != SQLITE_OK)
        fprintf (stderr, "fuzz: prepare: %s\n", sqlite3_errmsg (db));
    FUZZ_CHECK (insert);
    for (int row = 0; row < FUZZ_ROWS_MAX && input->size > 0; row++) {
        uint8_t room = fuzz_byte (input);
        if (room < sizeof (s_rooms) / sizeof (s_rooms [0]))
            sqlite3_bind_text (insert, 1, s_rooms [room], -1, SQLITE_STATIC);
        else
            s_bind_text (insert, 1, input, CHAT_ROOM_MAX);
        sqlite3_bind_int64 (insert, 2, s_number (input));
        sqlite3_bind_int64 (insert, 3, s_number (input));
        sqlite3_bind_int64 (insert, 4, (int8_t) fuzz_byte (input));
        s_bind_text (insert, 5, input, CHAT_NICK_MAX);
        s_bind_text (insert, 6, input, WIRE_TEXT_MAX);
        s_bind_text (insert, 7, input, WIRE_GATEWAY_MAX);
        sqlite3_bind_int64 (insert, 8, s_number (input));
        sqlite3_step (insert);          //  a type the schema refuses is fine too
        sqlite3_reset (insert);
        sqlite3_clear_bindings (insert);
    }
    sqlite3_finalize (insert);
    sqlite3_close (db);
}

typedef struct {
    uint64_t last_seq;
    size_t count;
} visit_t;

static int
s_visit (const store_record_t *record, void *arg)
{
    visit_t *visit = (visit_t *) arg;
    FUZZ_CHECK (store_record_valid (record));
    FUZZ_CHECK (record->seq > visit->last_seq);
    visit->last_seq = record->seq;
    visit->count++;
    return 0;
}

static void
s_remove_files (void)
{
    const char *suffixes [] = { "", "-wal", "-shm", "-journal" };
    for (size_t index = 0; index < sizeof (suffixes) / sizeof (suffixes [0]); index++) {
        char *name = zsys_sprintf ("%s%s", s_path, suffixes [index]);
        unlink (name);
        zstr_free (&name);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_path [0]) {
        FUZZ_CHECK (mkdtemp (s_directory));
        snprintf (s_path, sizeof (s_path), "%s/history.db", s_directory);
        zsys_set_logstream (NULL);
    }
    store_config_t config;
    store_config_defaults (&config);
    config.history_size = FUZZ_HISTORY_SIZE;
    char *spec = zsys_sprintf ("sqlite:%s", s_path);
    //  A fresh zchat file (schema, marks), then the input's rows in it
    s_remove_files ();
    store_t *store = store_new (spec, &config);
    FUZZ_CHECK (store);
    store_destroy (&store);
    fuzz_input_t input = { data, size };
    s_write_rows (&input);

    store = store_new (spec, &config);
    FUZZ_CHECK (store);
    for (size_t room = 0; room < sizeof (s_rooms) / sizeof (s_rooms [0]); room++) {
        visit_t visit = { 0, 0 };
        store_last (store, s_rooms [room], 0, FUZZ_HISTORY_SIZE * 2, s_visit, &visit);
        FUZZ_CHECK (visit.count <= FUZZ_HISTORY_SIZE);
        store_room_info_t info;
        store_room_info (store, s_rooms [room], &info);
        FUZZ_CHECK (info.records == visit.count);
        FUZZ_CHECK (visit.count == 0 || info.last_seq == visit.last_seq);
    }
    store_destroy (&store);
    zstr_free (&spec);
    return 0;
}

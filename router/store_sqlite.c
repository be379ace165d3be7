/*  =========================================================================
    store_sqlite.c - room history in an SQLite file, written behind

    The loop's side of the SQLite backend. Open is the only time it
    touches the file: it checks the file is a zchat database of a schema
    it reads, takes the exclusive lock it keeps for its lifetime, turns on
    WAL, loads each room's newest history_size records into the memory
    cache (rooms in the order they were last written, so the memory bound
    keeps the most recent ones), and hands the connection to the writer
    thread. From then on:

    - store_append adds to the cache and packs the insert into the
      pending batch (and a delete for whatever the cache let go);
    - store_tick sends the pending batch when it is batch_ms old and the
      writer has acknowledged the one before (one batch in flight: the
      writer is never handed more than the backlog bound, and under load
      batches grow instead of queueing);
    - bytes pending + in flight are capped at backlog_max: while the disk
      fails, records past the cap stay in memory but are not persisted
      (counted as dropped); the file is reconciled with the rings at the
      next open (extra rows beyond history_size are pruned then).

    What a crash can lose: records accepted in the last batch_ms, plus the
    batch being committed (under a disk slower than the traffic, what
    stats.pending shows). Committed transactions survive a killed router
    (WAL); synchronous=NORMAL means a power cut may also lose the commits
    since the last WAL checkpoint, never the file's consistency.
    =========================================================================
*/
#include "store_sqlite.h"
#include "store_memory.h"
#include "store_batch.h"
#include "store_writer.h"

#define STORE_SQLITE_BATCH_BYTES    (1024 * 1024)   //  send a batch early at this size
#define STORE_SQLITE_WAIT_MIN_MS    1               //  shortest wait for the writer's answer
#define STORE_SQLITE_USEC_PER_SEC   1000000.0

#define STORE_SQLITE_SCHEMA_SQL \
    "CREATE TABLE history (" \
    " room TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL," \
    " kind INTEGER NOT NULL, nick TEXT NOT NULL, text TEXT NOT NULL," \
    " gateway TEXT NOT NULL, client INTEGER NOT NULL," \
    " PRIMARY KEY (room, seq)) WITHOUT ROWID"

//  Every row, rooms ordered by their newest line so loading replays the
//  original write order closely enough for the LRU bound
#define STORE_SQLITE_LOAD_SQL \
    "SELECT h.room, h.seq, h.time, h.kind, h.nick, h.text, h.gateway, h.client" \
    " FROM history h JOIN (SELECT room, max(time) AS newest FROM history GROUP BY room) r" \
    " ON r.room = h.room ORDER BY r.newest, h.room, h.seq"

typedef struct {
    store_config_t config;
    char *path;
    store_memory_t *cache;          //  every read is answered here
    zactor_t *writer;               //  the writer thread (owns the connection)
    store_batch_t pending;          //  operations not yet sent to the writer
    int64_t pending_since;          //  zclock_mono of the first pending operation
    uint64_t sent_inserts;          //  inserts handed to the writer since start
    uint64_t sent_bytes;            //  batch bytes handed to the writer since start
    uint64_t committed_inserts;     //  of those, committed (writer's last report)
    uint64_t committed_bytes;
    uint64_t write_errors;          //  writer's failed attempts
    metrics_histogram_t commits;    //  seconds per commit, from the writer's reports
    uint64_t loaded;                //  records read from the file at open
    uint64_t dropped;               //  records not persisted: backlog full
    uint64_t dropped_logged;        //  dropped when we last logged
    int64_t last_drop_log;          //  zclock_mono of that log
    bool failing;                   //  the writer's last report was a failure
    char last_error [STORE_ERROR_MAX];
} store_sqlite_t;

//  --- opening the file ------------------------------------------------------

//  Run one statement; -1 with the SQLite result code in *code_p.
static int
s_exec (sqlite3 *db, const char *sql, int *code_p)
{
    int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    if (code_p)
        *code_p = rc;
    return rc == SQLITE_OK? 0: -1;
}

//  Read a one-number pragma; -1 with the result code in *code_p.
static int
s_pragma (sqlite3 *db, const char *sql, int64_t *value_p, int *code_p)
{
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &statement, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step (statement);
        if (rc == SQLITE_ROW) {
            *value_p = sqlite3_column_int64 (statement, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize (statement);
    *code_p = rc;
    return rc == SQLITE_OK? 0: -1;
}

//  One error line for a failed step of opening, by what it means.
static void
s_open_error (sqlite3 *db, const char *path, int code)
{
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        zsys_error ("store: database is in use by another process (another zchat-router?) "
                    "path=%s", path);
    else
    if (code == SQLITE_NOTADB)
        zsys_error ("store: not a zchat database path=%s (not an SQLite file)", path);
    else
        zsys_error ("store: cannot open database path=%s error=%s", path,
                    db? sqlite3_errmsg (db): sqlite3_errstr (code));
}

//  Open, check, lock and prepare the file. NULL after one error line.
static sqlite3 *
s_open_database (const char *path)
{
    sqlite3 *db = NULL;
    int code = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    int64_t application_id = 0, version = 0, pages = 0;
    //  No waiting on a lock: a holder holds it for its lifetime. The
    //  exclusive mode is set before the first read, so that read takes
    //  the lock (and WAL needs no shared-memory file).
    if (code == SQLITE_OK) {
        sqlite3_busy_timeout (db, 0);
        s_exec (db, "PRAGMA locking_mode=EXCLUSIVE", &code);
    }
    if (code == SQLITE_OK)
        s_pragma (db, "PRAGMA page_count", &pages, &code);
    if (code == SQLITE_OK)
        s_pragma (db, "PRAGMA application_id", &application_id, &code);
    if (code == SQLITE_OK)
        s_pragma (db, "PRAGMA user_version", &version, &code);
    if (code != SQLITE_OK) {
        s_open_error (db, path, code);
        sqlite3_close (db);
        return NULL;
    }
    if (pages > 0 && application_id != STORE_SQLITE_APPLICATION_ID) {
        zsys_error ("store: not a zchat database path=%s (application_id=%" PRId64 ")",
                    path, application_id);
        sqlite3_close (db);
        return NULL;
    }
    if (pages > 0 && version != STORE_SQLITE_SCHEMA) {
        zsys_error ("store: database schema %" PRId64 " is not the %d this router reads path=%s",
                    version, STORE_SQLITE_SCHEMA, path);
        sqlite3_close (db);
        return NULL;
    }
    if (sqlite3_db_readonly (db, "main") == 1) {
        zsys_error ("store: cannot open database path=%s error=read-only", path);
        sqlite3_close (db);
        return NULL;
    }
    //  Take the write lock now and keep it (exclusive mode); a new file
    //  gets its schema and marks in the same transaction.
    char *sql = zsys_sprintf ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                              " BEGIN IMMEDIATE; %s%s"
                              " PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT",
                              pages? "": STORE_SQLITE_SCHEMA_SQL, pages? "": ";",
                              STORE_SQLITE_APPLICATION_ID, STORE_SQLITE_SCHEMA);
    assert (sql);
    int rc = s_exec (db, sql, &code);
    zstr_free (&sql);
    if (rc == -1) {
        s_open_error (db, path, code);
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

//  --- the loop side ---------------------------------------------------------

static bool
s_backlog_has_room (store_sqlite_t *self, size_t more)
{
    uint64_t in_flight = self->sent_bytes - self->committed_bytes;
    return in_flight + self->pending.size + more <= (uint64_t) self->config.backlog_max;
}

static void
s_mark_pending (store_sqlite_t *self)
{
    if (self->pending.size == 0)
        self->pending_since = zclock_mono ();
}

//  The cache let records go: the file forgets them too.
static void
s_on_drop (const char *room, uint64_t through_seq, void *arg)
{
    store_sqlite_t *self = (store_sqlite_t *) arg;
    if (!s_backlog_has_room (self, store_batch_delete_size (room)))
        return;                     //  repaired by pruning at the next open
    s_mark_pending (self);
    store_batch_delete (&self->pending, room, through_seq);
}

static void
s_count_drop (store_sqlite_t *self)
{
    self->dropped++;
    int64_t now = zclock_mono ();
    if (self->dropped_logged && now - self->last_drop_log < STORE_ERROR_LOG_MS)
        return;
    zsys_error ("store: write backlog full, records kept in memory only path=%s dropped=%" PRIu64,
                self->path, self->dropped - self->dropped_logged);
    self->dropped_logged = self->dropped;
    self->last_drop_log = now;
}

//  Read the file into the cache. Rows that break the record rules (a
//  file edited by hand) are skipped and counted.
static int
s_load (store_sqlite_t *self, sqlite3 *db)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2 (db, STORE_SQLITE_LOAD_SQL, -1, &statement, NULL) != SQLITE_OK) {
        zsys_error ("store: cannot read database path=%s error=%s", self->path,
                    sqlite3_errmsg (db));
        return -1;
    }
    size_t loaded = 0, skipped = 0;
    int rc;
    while ((rc = sqlite3_step (statement)) == SQLITE_ROW) {
        store_record_t record = {
            .room = (const char *) sqlite3_column_text (statement, 0),
            .seq = (uint64_t) sqlite3_column_int64 (statement, 1),
            .time = sqlite3_column_int64 (statement, 2),
            .kind = (store_kind_t) sqlite3_column_int (statement, 3),
            .nick = (const char *) sqlite3_column_text (statement, 4),
            .text = (const char *) sqlite3_column_text (statement, 5),
            .gateway = (const char *) sqlite3_column_text (statement, 6),
            .client = (uint64_t) sqlite3_column_int64 (statement, 7)
        };
        if (store_record_valid (&record) && store_memory_append (self->cache, &record) == 0)
            loaded++;
        else
            skipped++;
    }
    sqlite3_finalize (statement);
    if (rc != SQLITE_DONE) {
        zsys_error ("store: cannot read database path=%s error=%s", self->path,
                    sqlite3_errmsg (db));
        return -1;
    }
    self->loaded = loaded;
    if (skipped)
        zsys_warning ("store: skipped bad rows path=%s rows=%zu", self->path, skipped);
    zsys_info ("store: opened path=%s records=%zu", self->path, loaded);
    return 0;
}

static void s_close (void **self_p);

static void *
s_open (const char *path, const store_config_t *config)
{
    assert (path);
    sqlite3 *db = s_open_database (path);
    if (!db)
        return NULL;
    store_sqlite_t *self = (store_sqlite_t *) zmalloc (sizeof (store_sqlite_t));
    assert (self);
    self->config = *config;
    self->path = strdup (path);
    assert (self->path);
    self->cache = store_memory_new (config, s_on_drop, self);
    store_writer_t *writer = NULL;
    if (s_load (self, db) == 0)
        writer = store_writer_new (&db, path, config->verbose);
    sqlite3_close (db);             //  NULL (taken by the writer) unless loading failed
    if (!writer) {
        s_close ((void **) &self);
        return NULL;
    }
    self->writer = zactor_new (store_writer_actor, writer);
    assert (self->writer);
    return self;
}

//  Take in one writer report (the caller has received the command).
static int
s_receive_report (store_sqlite_t *self, char **command_p)
{
    int rc = 0;
    char *last_error = NULL;
    uint64_t committed_before = self->committed_bytes, commit_us = 0;
    if (zsock_recv (self->writer, STORE_WRITER_REPORT, command_p, &rc, &self->committed_inserts,
                    &self->committed_bytes, &self->write_errors, &commit_us, &last_error) == -1)
        return -1;
    //  Bytes moved: the report follows a commit, and says how long it took
    if (self->committed_bytes != committed_before)
        metrics_histogram_observe (&self->commits, commit_us / STORE_SQLITE_USEC_PER_SEC);
    if (last_error)
        snprintf (self->last_error, sizeof (self->last_error), "%s", last_error);
    zstr_free (&last_error);
    self->failing = self->sent_bytes != self->committed_bytes;
    return rc;
}

//  Read every report waiting, without blocking.
static void
s_read_reports (store_sqlite_t *self)
{
    while (zsock_events (zactor_sock (self->writer)) & ZMQ_POLLIN) {
        char *command = NULL;
        s_receive_report (self, &command);
        zstr_free (&command);
    }
}

//  Hand the pending batch to the writer under command.
static void
s_send_pending (store_sqlite_t *self, const char *command)
{
    zsock_send (self->writer, "sb", command, self->pending.data, self->pending.size);
    self->sent_bytes += self->pending.size;
    self->sent_inserts += self->pending.inserts;
    store_batch_clear (&self->pending);
}

static int64_t
s_tick (void *base, int64_t now)
{
    store_sqlite_t *self = (store_sqlite_t *) base;
    //  Reports come only while something is in flight: an idle tick
    //  makes no call into ZeroMQ
    bool in_flight = self->sent_bytes != self->committed_bytes;
    if (in_flight) {
        s_read_reports (self);
        in_flight = self->sent_bytes != self->committed_bytes;
    }
    if (self->pending.size && !in_flight
    &&  (now - self->pending_since >= self->config.batch_ms
      || self->pending.size >= STORE_SQLITE_BATCH_BYTES)) {
        s_send_pending (self, STORE_WRITER_BATCH);
        in_flight = true;
    }
    //  Come back to read the writer's answer, or to send the batch
    if (in_flight)
        return self->failing? STORE_RETRY_MS
             : self->config.batch_ms > STORE_SQLITE_WAIT_MIN_MS? self->config.batch_ms
             : STORE_SQLITE_WAIT_MIN_MS;
    if (self->pending.size) {
        int64_t due = self->pending_since + self->config.batch_ms - now;
        return due > 0? due: 0;
    }
    return -1;
}

static int
s_sync (void *base)
{
    store_sqlite_t *self = (store_sqlite_t *) base;
    s_send_pending (self, STORE_WRITER_SYNC);
    while (true) {
        char *command = NULL;
        int rc = s_receive_report (self, &command);
        if (!command)
            return -1;              //  the writer is gone
        bool synced = streq (command, STORE_WRITER_SYNCED);
        zstr_free (&command);
        if (synced)
            return rc;
    }
}

static void
s_close (void **self_p)
{
    store_sqlite_t *self = (store_sqlite_t *) *self_p;
    if (!self)
        return;
    if (self->writer && s_sync (self) == -1)
        zsys_error ("store: closing with records not written path=%s records=%" PRIu64
                    " error=%s", self->path, self->sent_inserts - self->committed_inserts,
                    self->last_error);
    zactor_destroy (&self->writer);
    store_memory_destroy (&self->cache);
    store_batch_free (&self->pending);
    free (self->path);
    free (self);
    *self_p = NULL;
}

static int
s_append (void *base, const store_record_t *record)
{
    store_sqlite_t *self = (store_sqlite_t *) base;
    if (store_memory_append (self->cache, record) == -1)
        return -1;
    if (!s_backlog_has_room (self, store_batch_insert_size (record))) {
        s_count_drop (self);
        return 0;
    }
    s_mark_pending (self);
    store_batch_insert (&self->pending, record);
    return 0;
}

static size_t
s_last (void *self, const char *room, uint64_t before, size_t count,
        store_visit_fn *visit, void *arg)
{
    return store_memory_last (((store_sqlite_t *) self)->cache, room, before, count, visit, arg);
}

static size_t
s_range (void *self, const char *room, uint64_t from, uint64_t to, size_t count,
         store_visit_fn *visit, void *arg)
{
    return store_memory_range (((store_sqlite_t *) self)->cache, room, from, to, count, visit,
                               arg);
}

static void
s_room_info (void *self, const char *room, store_room_info_t *info)
{
    store_memory_room_info (((store_sqlite_t *) self)->cache, room, info);
}

static void
s_stats (void *base, store_stats_t *stats)
{
    store_sqlite_t *self = (store_sqlite_t *) base;
    store_memory_stats (self->cache, stats);
    stats->appends -= self->loaded;     //  accepted since open, as for memory
    stats->pending = self->pending.inserts + self->sent_inserts - self->committed_inserts;
    stats->written = self->committed_inserts;
    stats->write_errors = self->write_errors;
    stats->dropped = self->dropped;
    stats->commits = self->commits;
    snprintf (stats->last_error, sizeof (stats->last_error), "%s", self->last_error);
}

const store_ops_t store_sqlite_ops = {
    .name = "sqlite",
    .takes_path = true,
    .capabilities = STORE_PERSISTENT,
    .open = s_open,
    .close = s_close,
    .append = s_append,
    .last = s_last,
    .range = s_range,
    .room_info = s_room_info,
    .tick = s_tick,
    .sync = s_sync,
    .stats = s_stats
};

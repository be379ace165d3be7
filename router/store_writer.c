/*  =========================================================================
    store_writer.c - the SQLite backend's writer thread

    One transaction per batch, with prepared statements: the loop side
    sends a batch at most every batch_ms, so under load a transaction
    carries many records and the commit cost (one WAL append, no fsync
    with synchronous=NORMAL) is shared by all of them.

    Deletes (records that left the memory cache, by ring wrap or by the
    memory bound) are coalesced per room inside a transaction: a room
    that wrapped 500 times in a batch costs one DELETE, not 500. A
    coalesced delete runs before any later insert it would cover (a room
    dropped and started over from a lower seq), after every
    STORE_WRITER_DELETE_EVERY inserts, and at the end. Running them as
    the batch goes keeps the table near history_size rows per room: were
    they all left to the end, a big batch (a burst, or the backlog after
    a full disk) would first grow the table by the whole batch, and the
    file would keep those pages (free, but never given back) for good.
    =========================================================================
*/
#include "store_writer.h"
#include "store_batch.h"

#define STORE_WRITER_INSERT_SQL \
    "INSERT OR REPLACE INTO history (room, seq, time, kind, nick, text, gateway, client)" \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
#define STORE_WRITER_DELETE_SQL "DELETE FROM history WHERE room = ?1 AND seq <= ?2"
#define STORE_WRITER_DELETE_EVERY   256     //  inserts between two runs of the deletes

//  Parameter numbers of the insert statement (the delete's are the first two)
enum {
    STORE_COLUMN_ROOM = 1, STORE_COLUMN_SEQ, STORE_COLUMN_TIME, STORE_COLUMN_KIND,
    STORE_COLUMN_NICK, STORE_COLUMN_TEXT, STORE_COLUMN_GATEWAY, STORE_COLUMN_CLIENT
};

//  A coalesced delete's seq is the hash item itself (seqs are never 0)
_Static_assert (sizeof (void *) >= sizeof (uint64_t), "seqs are stored as pointers");

struct _store_writer_t {
    sqlite3 *db;                    //  the connection (owned)
    sqlite3_stmt *begin;            //  prepared statements
    sqlite3_stmt *commit;
    sqlite3_stmt *insert;
    sqlite3_stmt *delete;
    char *path;                     //  for log lines
    bool verbose;
    store_batch_t held;             //  operations not yet committed
    zhashx_t *deletes;              //  room -> highest seq to delete, this transaction
    uint64_t inserts;               //  inserts committed since start
    uint64_t bytes;                 //  batch bytes committed since start
    uint64_t errors;                //  failed attempts since start
    uint64_t commit_us;             //  how long the last successful commit took
    uint64_t errors_logged;         //  errors when we last logged
    uint64_t errors_before;         //  errors when this outage began
    int64_t last_attempt;           //  zclock_mono of the last failed attempt
    int64_t last_log;               //  zclock_mono of the last failure log
    bool failing;                   //  the last attempt failed
    char last_error [STORE_ERROR_MAX];
};

static int
s_prepare (store_writer_t *self, const char *sql, sqlite3_stmt **statement_p)
{
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, statement_p, NULL)
        == SQLITE_OK)
        return 0;
    zsys_error ("store: cannot prepare statement path=%s error=%s", self->path,
                sqlite3_errmsg (self->db));
    return -1;
}

store_writer_t *
store_writer_new (sqlite3 **db_p, const char *path, bool verbose)
{
    assert (db_p && *db_p);
    assert (path);
    store_writer_t *self = (store_writer_t *) zmalloc (sizeof (store_writer_t));
    assert (self);
    self->db = *db_p;
    *db_p = NULL;
    self->path = strdup (path);
    assert (self->path);
    self->verbose = verbose;
    self->deletes = zhashx_new ();
    assert (self->deletes);
    if (s_prepare (self, "BEGIN", &self->begin) == -1
    ||  s_prepare (self, "COMMIT", &self->commit) == -1
    ||  s_prepare (self, STORE_WRITER_INSERT_SQL, &self->insert) == -1
    ||  s_prepare (self, STORE_WRITER_DELETE_SQL, &self->delete) == -1)
        store_writer_destroy (&self);
    return self;
}

void
store_writer_destroy (store_writer_t **self_p)
{
    assert (self_p);
    store_writer_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->begin);
    sqlite3_finalize (self->commit);
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->delete);
    if (sqlite3_close (self->db) != SQLITE_OK)
        zsys_warning ("store: close failed path=%s error=%s", self->path,
                      sqlite3_errmsg (self->db));
    zhashx_destroy (&self->deletes);
    store_batch_free (&self->held);
    free (self->path);
    free (self);
    *self_p = NULL;
}

//  Run a statement that returns no rows, then reset it.
static int
s_step (sqlite3_stmt *statement)
{
    int rc = sqlite3_step (statement);
    sqlite3_reset (statement);
    return rc == SQLITE_DONE? 0: -1;
}

static int
s_delete (store_writer_t *self, const char *room, uint64_t seq)
{
    sqlite3_bind_text (self->delete, STORE_COLUMN_ROOM, room, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->delete, STORE_COLUMN_SEQ, (sqlite3_int64) seq);
    return s_step (self->delete);
}

static int
s_insert (store_writer_t *self, const store_record_t *record)
{
    //  A pending delete that covers this seq belongs before it
    uint64_t covered = (uint64_t) (uintptr_t) zhashx_lookup (self->deletes, record->room);
    if (covered >= record->seq) {
        if (s_delete (self, record->room, covered) == -1)
            return -1;
        zhashx_delete (self->deletes, record->room);
    }
    sqlite3_stmt *insert = self->insert;
    sqlite3_bind_text (insert, STORE_COLUMN_ROOM, record->room, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (insert, STORE_COLUMN_SEQ, (sqlite3_int64) record->seq);
    sqlite3_bind_int64 (insert, STORE_COLUMN_TIME, record->time);
    sqlite3_bind_int (insert, STORE_COLUMN_KIND, (int) record->kind);
    sqlite3_bind_text (insert, STORE_COLUMN_NICK, record->nick, -1, SQLITE_STATIC);
    sqlite3_bind_text (insert, STORE_COLUMN_TEXT, record->text, -1, SQLITE_STATIC);
    sqlite3_bind_text (insert, STORE_COLUMN_GATEWAY, record->gateway, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (insert, STORE_COLUMN_CLIENT, (sqlite3_int64) record->client);
    return s_step (insert);
}

//  Run the coalesced deletes, and forget them.
static int
s_run_deletes (store_writer_t *self)
{
    for (void *seq = zhashx_first (self->deletes); seq; seq = zhashx_next (self->deletes))
        if (s_delete (self, (const char *) zhashx_cursor (self->deletes),
                      (uint64_t) (uintptr_t) seq) == -1)
            return -1;
    zhashx_purge (self->deletes);
    return 0;
}

//  Run every held operation in one transaction. Returns 0, or -1 with
//  the transaction rolled back and self->last_error set.
static int
s_transaction (store_writer_t *self, uint64_t *inserts_p)
{
    if (s_step (self->begin) == -1)
        return -1;
    size_t offset = 0;
    store_batch_item_t item;
    while (store_batch_next (self->held.data, self->held.size, &offset, &item) == 0) {
        if (item.op == STORE_BATCH_INSERT) {
            if (s_insert (self, &item.record) == -1)
                return -1;
            (*inserts_p)++;
            //  Deletes issued so far may run now: what they cover is in
            if (*inserts_p % STORE_WRITER_DELETE_EVERY == 0 && s_run_deletes (self) == -1)
                return -1;
        }
        else {
            uint64_t seq = (uint64_t) (uintptr_t) zhashx_lookup (self->deletes, item.record.room);
            if (item.record.seq > seq)
                zhashx_update (self->deletes, item.record.room,
                               (void *) (uintptr_t) item.record.seq);
        }
    }
    if (s_run_deletes (self) == -1)
        return -1;
    return s_step (self->commit);
}

static void
s_log_failure (store_writer_t *self, int64_t now)
{
    if (self->failing && now - self->last_log < STORE_ERROR_LOG_MS)
        return;
    zsys_error ("store: write failed path=%s error=%s failures=%" PRIu64
                " (kept, retried every %d ms)", self->path, self->last_error,
                self->errors - self->errors_logged, STORE_RETRY_MS);
    self->errors_logged = self->errors;
    self->last_log = now;
}

//  Commit what is held. Returns 0 (nothing left held) or -1.
static int
s_commit (store_writer_t *self)
{
    if (self->held.size == 0)
        return 0;
    int64_t started_us = zclock_usecs ();
    uint64_t inserts = 0;
    int rc = s_transaction (self, &inserts);
    zhashx_purge (self->deletes);
    int64_t now = zclock_mono ();
    uint64_t took_us = (uint64_t) (zclock_usecs () - started_us);
    if (rc == -1) {
        snprintf (self->last_error, sizeof (self->last_error), "%s", sqlite3_errmsg (self->db));
        if (!sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        if (!self->failing)
            self->errors_before = self->errors;
        self->errors++;
        s_log_failure (self, now);
        self->failing = true;
        self->last_attempt = now;
        return -1;
    }
    if (self->failing)
        zsys_notice ("store: writes resumed path=%s failures=%" PRIu64, self->path,
                     self->errors - self->errors_before);
    self->failing = false;
    self->errors_logged = self->errors;
    self->inserts += inserts;
    self->bytes += self->held.size;
    self->commit_us = took_us;
    if (self->verbose)
        zsys_debug ("store: committed records=%" PRIu64 " bytes=%zu us=%" PRIu64,
                    inserts, self->held.size, self->commit_us);
    store_batch_clear (&self->held);
    return 0;
}

static void
s_report (store_writer_t *self, zsock_t *pipe, const char *command, int rc)
{
    zsock_send (pipe, STORE_WRITER_REPORT, command, rc, self->inserts, self->bytes,
                self->errors, self->commit_us, self->last_error);
}

//  Handle one message from the loop; returns -1 on $TERM.
static int
s_handle (store_writer_t *self, zsock_t *pipe)
{
    zmsg_t *msg = zmsg_recv (pipe);
    if (!msg)
        return errno == ETERM? -1: 0;       //  EINTR: a signal, not for us
    char *command = zmsg_popstr (msg);
    zframe_t *frame = zmsg_pop (msg);
    int rc = 0;
    if (command && frame && (streq (command, STORE_WRITER_BATCH)
                         ||  streq (command, STORE_WRITER_SYNC))) {
        store_batch_append (&self->held, zframe_data (frame), zframe_size (frame));
        if (streq (command, STORE_WRITER_SYNC))
            s_report (self, pipe, STORE_WRITER_SYNCED, s_commit (self));
        else
        if (!self->failing) {
            s_commit (self);
            s_report (self, pipe, STORE_WRITER_STATUS, 0);
        }
    }
    else
    if (!command || streq (command, "$TERM"))
        rc = -1;
    zframe_destroy (&frame);
    zstr_free (&command);
    zmsg_destroy (&msg);
    return rc;
}

void
store_writer_actor (zsock_t *pipe, void *args)
{
    store_writer_t *self = (store_writer_t *) args;
    assert (self);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    assert (poller);
    //  SIGINT starts the router's drain, which still needs us
    zpoller_set_nonstop (poller, true);
    zsock_signal (pipe, 0);
    while (true) {
        int timeout = -1;
        if (self->failing) {
            int64_t due = self->last_attempt + STORE_RETRY_MS - zclock_mono ();
            timeout = due > 0? (int) due: 0;
        }
        void *which = zpoller_wait (poller, timeout);
        if (which == pipe) {
            if (s_handle (self, pipe) == -1)
                break;
        }
        else
        if (zpoller_terminated (poller))
            break;
        else
        if (self->failing) {
            s_commit (self);
            s_report (self, pipe, STORE_WRITER_STATUS, 0);
        }
    }
    zpoller_destroy (&poller);
    store_writer_destroy (&self);
}

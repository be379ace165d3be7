/*  =========================================================================
    store.h - the router's room history store: one interface, many backends

    The router keeps the recent chat and /me lines of every room (its
    history) behind this one interface, the way SQLite hides file systems
    behind sqlite3_vfs: a table of function pointers (store_ops_t) plus
    an opaque self, chosen once at start-up by store_new from a spec:

        "memory"          store_memory.c: a bounded ring per room, in RAM
        "sqlite:PATH"     store_sqlite.c: the same rings as a read cache,
                          written behind to an SQLite file by a thread

    Router logic sees only the store_* functions below, so another backend
    (PostgreSQL, Redis) is one more store_ops_t and one table line in
    store.c. Every backend passes the one contract suite in
    tests/unit/router/test_store.c.

    The contract, for every backend:
    - A record belongs to a room (canonical name) and carries the room's
      sequence number. Within a room, seqs strictly increase in append
      order; gaps are normal (joins and leaves take seqs too but are not
      history). store_append refuses a seq that is not above the room's
      last one, so a line can never be stored twice.
    - Reads (store_last, store_range, store_room_info) never touch the
      disk and never block; they answer from memory. Appends never block
      either: a persistent backend queues the write and its thread does
      the I/O. The loop calls store_tick once per pass so queued writes
      move on; store_sync is the one call that waits (tests, shutdown).
    - Each room keeps at most history_size records (the oldest go first),
      and all rooms together use at most memory_max bytes: past that
      bound the least recently written room loses its oldest lines until
      its history is gone, then the next room, and so on; the room being
      written to goes last and always keeps the new line. A room whose
      every line was dropped reads as unknown: last_seq 0.
    - Continuing the numbering: when the router creates a room, it must
      start that room's sequence at store_room_info's last_seq (0 for a
      room the store does not hold), or the store refuses its appends.
    - A persistent backend (STORE_PERSISTENT) holds after a restart what
      its memory held: the file mirrors the rings, pruned to history_size
      per room and dropped with them at the memory bound.

    Threading: a store_t belongs to the thread that created it (the
    router's loop). The SQLite backend's writer thread is private to it
    and shares nothing: they talk over a zactor pipe.
    =========================================================================
*/
#ifndef STORE_H_INCLUDED
#define STORE_H_INCLUDED

#include "chat.h"
#include "wire.h"
#include "metrics.h"

//  Defaults of the settings the router exposes (one option-table line
//  each, see docs/OPERATIONS.md).
#define STORE_DEFAULT_SPEC      "memory"    //  --store memory|sqlite:PATH
#define STORE_HISTORY_SIZE      1000        //  --history-size: records per room
#define STORE_HISTORY_SIZE_MAX  1000000     //  largest --history-size accepted
#define STORE_MEMORY_MAX        (128 * 1024 * 1024)  //  --history-memory: bytes, all rooms
#define STORE_BATCH_MS          1000        //  --history-batch: ms between SQLite commits
#define STORE_BACKLOG_MAX       (16 * 1024 * 1024)   //  --history-backlog: bytes waiting for the disk

//  Fixed behaviour, not settings
#define STORE_ERROR_LOG_MS      10000       //  repeat a write-failure log at most this often
#define STORE_RETRY_MS          100         //  retry a failed write after this long
#define STORE_ERROR_MAX         256         //  bytes of last_error, NUL included

//  Capabilities a backend reports (store_capabilities)
#define STORE_PERSISTENT        1           //  history survives store_destroy + store_new

typedef enum {
    STORE_CHAT = 1,                 //  a chat line (WIRE_CHAT)
    STORE_ACTION = 2                //  a /me line (WIRE_EMOTE)
} store_kind_t;

//  One history line. Strings are NUL-terminated. In store_append they
//  are the caller's and copied; in a visit callback they are the store's
//  and valid only until the callback returns.
typedef struct {
    const char *room;               //  canonical room name, <= CHAT_ROOM_MAX bytes
    uint64_t seq;                   //  the room's sequence number, > 0
    int64_t time;                   //  when it was said: UTC, ms since 1970 (zclock_time)
    store_kind_t kind;              //  chat or action
    const char *nick;               //  speaker's nickname, <= CHAT_NICK_MAX bytes
    const char *text;               //  the line, <= WIRE_TEXT_MAX bytes
    const char *gateway;            //  speaker's gateway id ("" if unknown), <= WIRE_GATEWAY_MAX
    uint64_t client;                //  speaker's client id on that gateway
} store_record_t;

//  Called once per record, in ascending seq order. Return 0 to go on,
//  -1 to stop early. It must not call back into the store.
typedef int (store_visit_fn) (const store_record_t *record, void *arg);

//  What the store holds of one room.
typedef struct {
    uint64_t records;               //  records held
    uint64_t first_seq;             //  oldest seq held (0 if none)
    uint64_t last_seq;              //  newest seq held (0 if none): continue numbering here
} store_room_info_t;

//  Counters and gauges for metrics and zchat-ctl status.
typedef struct {
    uint64_t records;               //  gauge: records held in memory
    uint64_t bytes;                 //  gauge: bytes of memory they use (<= memory_max)
    uint64_t rooms;                 //  gauge: rooms with history
    uint64_t appends;               //  counter: records accepted
    uint64_t evicted;               //  counter: records dropped by the memory bound
    uint64_t pending;               //  gauge: records accepted, not yet durable (0 in memory)
    uint64_t written;               //  counter: records committed to disk
    uint64_t write_errors;          //  counter: failed write attempts (each retried)
    uint64_t dropped;               //  counter: records never persisted (backlog full)
    metrics_histogram_t commits;    //  seconds per committed transaction (none in memory)
    char last_error [STORE_ERROR_MAX];  //  latest write error, "" if none yet
} store_stats_t;

//  Settings. Integers are int64_t so the router's option table can point
//  at them directly (CONFIG_INT).
typedef struct {
    int64_t history_size;           //  records kept per room, 1..STORE_HISTORY_SIZE_MAX
    int64_t memory_max;             //  bytes of memory for all rooms' history
    int64_t batch_ms;               //  SQLite: collect writes this long per transaction
    int64_t backlog_max;            //  SQLite: bytes of writes held while the disk fails
    bool verbose;                   //  debug traces
} store_config_t;

//  The backend interface. self is whatever open returned.
typedef struct {
    const char *name;               //  spec prefix: "memory", "sqlite"
    bool takes_path;                //  spec is "name:PATH" (else just "name")
    unsigned capabilities;          //  STORE_PERSISTENT, ...
    //  Open; NULL after logging one error line. path is NULL unless takes_path.
    void *(*open) (const char *path, const store_config_t *config);
    void (*close) (void **self_p);
    int (*append) (void *self, const store_record_t *record);
    size_t (*last) (void *self, const char *room, uint64_t before, size_t count,
                    store_visit_fn *visit, void *arg);
    size_t (*range) (void *self, const char *room, uint64_t from, uint64_t to,
                     size_t count, store_visit_fn *visit, void *arg);
    void (*room_info) (void *self, const char *room, store_room_info_t *info);
    int64_t (*tick) (void *self, int64_t now);
    int (*sync) (void *self);
    void (*stats) (void *self, store_stats_t *stats);
} store_ops_t;

typedef struct _store_t store_t;

//  Fill config with the defaults above.
void
    store_config_defaults (store_config_t *config);

//  Open the store named by spec ("memory" or "sqlite:PATH") with config
//  (copied). Returns NULL after logging one clear error line: unknown
//  spec, bad setting, a path that cannot be opened, a file that is not a
//  zchat database, a database another router holds. A persistent store
//  loads its history here (the one time it reads the disk).
store_t *
    store_new (const char *spec, const store_config_t *config);

//  Write what is queued (waiting as long as that takes), then close.
//  NULL-safe, sets *self_p to NULL.
void
    store_destroy (store_t **self_p);

//  Backend name ("memory", "sqlite") and capabilities (STORE_PERSISTENT).
const char *
    store_name (store_t *self);
unsigned
    store_capabilities (store_t *self);

//  True if every field of record is within its limits (kind known, seq
//  above 0, strings present and short enough; gateway may be NULL).
bool
    store_record_valid (const store_record_t *record);

//  Add one record (copied). Returns 0, or -1 if it is malformed (a field
//  over its limit, kind unknown, seq 0) or its seq is not above the
//  room's last one; nothing is stored then. May drop old history to stay
//  within the bounds. Never blocks; a persistent store queues the write.
int
    store_append (store_t *self, const store_record_t *record);

//  Visit the newest count records of room with seq < before (before 0:
//  no bound, i.e. the last count), oldest first. Returns how many were
//  visited. Page further back with before = the first seq seen.
size_t
    store_last (store_t *self, const char *room, uint64_t before, size_t count,
                store_visit_fn *visit, void *arg);

//  Visit the oldest count records of room with from <= seq <= to, oldest
//  first (recovery of a missed range). Returns how many were visited;
//  compare with store_room_info's first_seq to tell what is gone.
size_t
    store_range (store_t *self, const char *room, uint64_t from, uint64_t to, size_t count,
                 store_visit_fn *visit, void *arg);

//  What the store holds of room (zeroes for a room it does not know).
void
    store_room_info (store_t *self, const char *room, store_room_info_t *info);

//  Let queued work move on; call once per loop pass with zclock_mono ().
//  Returns the ms after which it wants to be called again (for the
//  loop's poll timeout), or -1 if it has nothing waiting.
int64_t
    store_tick (store_t *self, int64_t now);

//  Make every record appended so far durable and wait for it. Returns 0,
//  or -1 if the write failed (the records stay queued and are retried).
//  Blocks on the disk: for tests and shutdown, never for the loop.
int
    store_sync (store_t *self);

//  Current counters (a persistent store's writer figures are as of the
//  last tick or sync).
void
    store_stats (store_t *self, store_stats_t *stats);

#endif

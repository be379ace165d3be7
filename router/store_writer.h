/*  =========================================================================
    store_writer.h - the SQLite backend's writer thread

    Owns the database connection once the backend has opened, checked and
    loaded it, and does every write from then on, on its own thread (a
    zactor), so the router's loop never waits on the disk. It shares
    nothing with the loop; they talk over the actor pipe:

      loop -> writer   "BATCH" bytes   packed store_batch operations
                       "SYNC" bytes    the same, then answer SYNCED
                       "$TERM"         stop (zactor_destroy)
      writer -> loop   STATUS or SYNCED, then (picture STORE_WRITER_REPORT)
                       rc, inserts committed, batch bytes committed,
                       failed attempts (all three counted since start),
                       microseconds the commit before this report took
                       (meaningful when the bytes committed moved),
                       last error

    The commit time travels in the report the loop reads anyway, so the
    loop side keeps the commit-time histogram and the writer thread
    shares no memory with it (no atomics, no lock).

    Each received batch is committed at once in one transaction. A
    failed transaction (a full disk, say) is rolled back and the writer
    keeps its operations and everything that arrives after them, and
    retries every STORE_RETRY_MS; the loop side bounds how much that can
    be (the backlog). It logs the first failure, then at most once per
    STORE_ERROR_LOG_MS, and once more when writes succeed again.
    =========================================================================
*/
#ifndef STORE_WRITER_H_INCLUDED
#define STORE_WRITER_H_INCLUDED

#include "store.h"
#include <sqlite3.h>

#define STORE_WRITER_REPORT     "si8888s"   //  zsock picture of a report
#define STORE_WRITER_BATCH      "BATCH"
#define STORE_WRITER_SYNC       "SYNC"
#define STORE_WRITER_STATUS     "STATUS"
#define STORE_WRITER_SYNCED     "SYNCED"

typedef struct _store_writer_t store_writer_t;

//  Take the open, locked database (*db_p becomes NULL, whatever happens)
//  and prepare the statements. path is for log lines. Returns NULL after
//  logging if preparing fails (the database is then closed).
store_writer_t *
    store_writer_new (sqlite3 **db_p, const char *path, bool verbose);

//  Finalize the statements and close the database (checkpointing the
//  WAL). NULL-safe, sets *self_p to NULL.
void
    store_writer_destroy (store_writer_t **self_p);

//  zactor body. args is a store_writer_t *, owned by the actor from now
//  on: it destroys the writer when told $TERM.
void
    store_writer_actor (zsock_t *pipe, void *args);

#endif

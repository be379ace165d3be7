/*  =========================================================================
    store_sqlite.h - room history in an SQLite file, written behind

    The "sqlite:PATH" store backend. Reads come from a memory store
    (store_memory.h) loaded from the file at open; appends go to that
    cache at once and are queued, then handed in batches to a writer
    thread (store_writer.h) that commits each batch in one transaction.
    The file mirrors the cache: what leaves memory (ring wrap, memory
    bound) is deleted from the file too, so it never grows without bound.

    The file is marked as zchat's (PRAGMA application_id, schema version
    in user_version) and held with an exclusive lock for the store's
    lifetime, so a second router on it fails at open instead of sharing.
    =========================================================================
*/
#ifndef STORE_SQLITE_H_INCLUDED
#define STORE_SQLITE_H_INCLUDED

#include "store.h"

#define STORE_SQLITE_APPLICATION_ID 0x7a636874  //  "zcht": PRAGMA application_id
#define STORE_SQLITE_SCHEMA         1           //  PRAGMA user_version we read and write

//  The backend table for store.c.
extern const store_ops_t store_sqlite_ops;

#endif

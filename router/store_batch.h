/*  =========================================================================
    store_batch.h - a run of history writes, packed into one byte buffer

    The SQLite backend's loop side packs each insert (a record) and each
    delete (a room's records up to a seq, after they left memory) into a
    batch; a whole batch crosses the actor pipe as one frame, and the
    writer thread reads it back in the same order. Packing is native
    byte order: both ends are the same process.
    =========================================================================
*/
#ifndef STORE_BATCH_H_INCLUDED
#define STORE_BATCH_H_INCLUDED

#include "store.h"

typedef enum {
    STORE_BATCH_INSERT = 1,         //  a record to add
    STORE_BATCH_DELETE = 2          //  drop room's records with seq <= seq
} store_batch_op_t;

typedef struct {
    char *data;                     //  packed operations
    size_t size;                    //  bytes used
    size_t capacity;                //  bytes allocated
    size_t inserts;                 //  insert operations in data
} store_batch_t;

//  One operation read back. Strings point into the batch.
typedef struct {
    store_batch_op_t op;
    store_record_t record;          //  INSERT: every field; DELETE: room and seq
} store_batch_item_t;

//  Bytes an insert of record would take in a batch.
size_t
    store_batch_insert_size (const store_record_t *record);

//  Bytes a delete of room would take.
size_t
    store_batch_delete_size (const char *room);

//  Append an insert (record copied) or a delete.
void
    store_batch_insert (store_batch_t *self, const store_record_t *record);
void
    store_batch_delete (store_batch_t *self, const char *room, uint64_t seq);

//  Append size bytes of packed operations (another batch's data).
void
    store_batch_append (store_batch_t *self, const void *data, size_t size);

//  Empty the batch, keeping its memory for the next one.
void
    store_batch_clear (store_batch_t *self);

//  Free the batch's memory; the struct itself is the caller's.
void
    store_batch_free (store_batch_t *self);

//  Read the operation at *offset of data (size bytes) into item and
//  advance *offset. Returns 0, or -1 at the end or on a truncated item.
int
    store_batch_next (const char *data, size_t size, size_t *offset, store_batch_item_t *item);

#endif

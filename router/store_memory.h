/*  =========================================================================
    store_memory.h - room history in memory: a bounded ring per room

    The "memory" store backend, and the read cache inside the "sqlite"
    one. Rooms live in a hash by name; each holds a ring of its newest
    history_size records (one allocation per record, the ring grows by
    doubling so a room with three lines costs three slots). All rooms
    share one byte budget, memory_max: past it the least recently
    written room (an LRU list, touched on every append) loses its oldest
    lines until it is gone, then the next room; the room being written
    to goes last and always keeps the new line.

    The drop callback tells the owner (the SQLite backend) whenever
    records leave memory, by ring wrap or by the budget, so its file can
    forget them too.
    =========================================================================
*/
#ifndef STORE_MEMORY_H_INCLUDED
#define STORE_MEMORY_H_INCLUDED

#include "store.h"

typedef struct _store_memory_t store_memory_t;

//  Records of room with seq <= through_seq have left memory.
typedef void (store_memory_drop_fn) (const char *room, uint64_t through_seq, void *arg);

//  The backend table for store.c.
extern const store_ops_t store_memory_ops;

//  Create an empty store with config's history_size and memory_max
//  (assumed valid: store_new checks them). drop may be NULL.
store_memory_t *
    store_memory_new (const store_config_t *config, store_memory_drop_fn *drop, void *arg);

//  Destroy the store and every record; NULL-safe, sets *self_p to NULL.
void
    store_memory_destroy (store_memory_t **self_p);

//  The store.h operations, on a memory store (same contracts).
int
    store_memory_append (store_memory_t *self, const store_record_t *record);
size_t
    store_memory_last (store_memory_t *self, const char *room, uint64_t before, size_t count,
                       store_visit_fn *visit, void *arg);
size_t
    store_memory_range (store_memory_t *self, const char *room, uint64_t from, uint64_t to,
                        size_t count, store_visit_fn *visit, void *arg);
void
    store_memory_room_info (store_memory_t *self, const char *room, store_room_info_t *info);

//  Fill the memory figures of stats (records, bytes, rooms, appends,
//  evicted); leaves the other fields alone.
void
    store_memory_stats (store_memory_t *self, store_stats_t *stats);

#endif

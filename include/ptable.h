/*  =========================================================================
    ptable.h - an open-addressing table of pointers, keyed inside the items

    For registries of many small records (sessions on both tiers, the
    router's nicknames) where a zhashx item would be a 48-byte heap chunk
    per record: here an entry is one pointer in an array, and the key is
    read from the item itself, so holding a record allocates nothing.
    The caller gives a hash of an item; lookups give the same hash of a
    key and a match function. Items are not owned.
    =========================================================================
*/
#ifndef PTABLE_H_INCLUDED
#define PTABLE_H_INCLUDED

#include "chat.h"

typedef struct _ptable_t ptable_t;

//  The hash of an item's key; it must not change while the item is in
//  the table.
typedef uint64_t (ptable_hash_fn) (const void *item);

//  True if item's key is key.
typedef bool (ptable_match_fn) (const void *item, const void *key);

//  Create an empty table, or NULL on no memory.
ptable_t *
    ptable_new (ptable_hash_fn *hash);

//  Destroy the table (not the items); NULL-safe, sets *self_p to NULL.
void
    ptable_destroy (ptable_t **self_p);

//  Add an item that is not in the table. Returns 0, or -1 if the table is
//  full and there is no memory to grow it.
int
    ptable_insert (ptable_t *self, void *item);

//  Remove this item (found by its hash and its address). Returns 0, or -1
//  if it is not in the table.
int
    ptable_remove (ptable_t *self, const void *item);

//  The item whose key matches key (hash: the key's hash, as
//  ptable_hash_fn gives for an item with that key), or NULL.
void *
    ptable_lookup (ptable_t *self, uint64_t hash, ptable_match_fn *match, const void *key);

//  Iterate over every item (no inserts or removes meanwhile).
void *
    ptable_first (ptable_t *self);
void *
    ptable_next (ptable_t *self);

//  Number of items.
size_t
    ptable_size (ptable_t *self);

#endif

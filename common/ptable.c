/*  =========================================================================
    ptable.c - an open-addressing table of pointers (see ptable.h)

    Linear probing from the item's home entry, which is the caller's hash
    through Fibonacci hashing (the top bits of hash * 2^64/phi, so a weak
    hash such as a plain counter spreads too). Removal shifts the
    following entries back (no tombstones); the table doubles past 3/4
    full and halves below 1/8.
    =========================================================================
*/
#include "ptable.h"

#define PTABLE_HASH_FACTOR      0x9E3779B97F4A7C15ULL   //  Fibonacci hashing
#define PTABLE_INITIAL_BITS     6           //  first table: 64 entries
#define PTABLE_GROW_NUM         3           //  grow past 3/4 full
#define PTABLE_GROW_DEN         4
#define PTABLE_SHRINK_DEN       8           //  shrink below 1/8 full
#define PTABLE_WORD_BITS        64

struct _ptable_t {
    void **table;               //  1 << bits entries, NULL = free
    unsigned bits;              //  log2 of the table size
    size_t size;                //  items held
    size_t cursor;              //  next entry for ptable_next
    ptable_hash_fn *hash;       //  hash of an item's key
};

static size_t
s_capacity (ptable_t *self)
{
    return (size_t) 1 << self->bits;
}

static size_t
s_home (ptable_t *self, uint64_t hash)
{
    return (size_t) ((hash * PTABLE_HASH_FACTOR) >> (PTABLE_WORD_BITS - self->bits));
}

ptable_t *
ptable_new (ptable_hash_fn *hash)
{
    assert (hash);
    ptable_t *self = (ptable_t *) zmalloc (sizeof (ptable_t));
    if (!self)
        return NULL;
    self->hash = hash;
    self->bits = PTABLE_INITIAL_BITS;
    self->table = (void **) calloc (s_capacity (self), sizeof (void *));
    if (!self->table) {
        free (self);
        return NULL;
    }
    return self;
}

void
ptable_destroy (ptable_t **self_p)
{
    assert (self_p);
    ptable_t *self = *self_p;
    if (self) {
        free (self->table);
        free (self);
        *self_p = NULL;
    }
}

//  Put item in its first free entry (it is not in the table).
static void
s_place (ptable_t *self, void *item)
{
    size_t mask = s_capacity (self) - 1;
    size_t index = s_home (self, self->hash (item));
    while (self->table [index])
        index = (index + 1) & mask;
    self->table [index] = item;
}

//  Move every item into a table of 1 << bits entries. On no memory the
//  old table stays (it only gets fuller or emptier than we like).
static void
s_resize (ptable_t *self, unsigned bits)
{
    void **table = (void **) calloc ((size_t) 1 << bits, sizeof (void *));
    if (!table)
        return;
    void **old = self->table;
    size_t old_capacity = s_capacity (self);
    self->table = table;
    self->bits = bits;
    for (size_t index = 0; index < old_capacity; index++)
        if (old [index])
            s_place (self, old [index]);
    free (old);
}

int
ptable_insert (ptable_t *self, void *item)
{
    assert (self);
    assert (item);
    if ((self->size + 1) * PTABLE_GROW_DEN > s_capacity (self) * PTABLE_GROW_NUM)
        s_resize (self, self->bits + 1);
    //  A full table (no memory to grow) would make lookups loop forever
    if (self->size + 1 >= s_capacity (self))
        return -1;
    s_place (self, item);
    self->size++;
    return 0;
}

int
ptable_remove (ptable_t *self, const void *item)
{
    assert (self);
    assert (item);
    size_t mask = s_capacity (self) - 1;
    size_t hole = s_home (self, self->hash (item));
    while (self->table [hole] != item) {
        if (!self->table [hole])
            return -1;
        hole = (hole + 1) & mask;
    }
    //  Move back every following entry whose home is not cyclically in
    //  (hole, its place]: it would be unreachable behind the hole
    size_t index = hole;
    while (true) {
        index = (index + 1) & mask;
        void *next = self->table [index];
        if (!next)
            break;
        size_t home = s_home (self, self->hash (next));
        bool reachable = hole <= index? (hole < home && home <= index)
                                      : (hole < home || home <= index);
        if (!reachable) {
            self->table [hole] = next;
            hole = index;
        }
    }
    self->table [hole] = NULL;
    self->size--;
    if (self->bits > PTABLE_INITIAL_BITS && self->size * PTABLE_SHRINK_DEN < s_capacity (self))
        s_resize (self, self->bits - 1);
    return 0;
}

void *
ptable_lookup (ptable_t *self, uint64_t hash, ptable_match_fn *match, const void *key)
{
    assert (self);
    assert (match);
    size_t mask = s_capacity (self) - 1;
    for (size_t index = s_home (self, hash); self->table [index]; index = (index + 1) & mask)
        if (match (self->table [index], key))
            return self->table [index];
    return NULL;
}

void *
ptable_next (ptable_t *self)
{
    assert (self);
    size_t capacity = s_capacity (self);
    while (self->cursor < capacity) {
        void *item = self->table [self->cursor++];
        if (item)
            return item;
    }
    return NULL;
}

void *
ptable_first (ptable_t *self)
{
    assert (self);
    self->cursor = 0;
    return ptable_next (self);
}

size_t
ptable_size (ptable_t *self)
{
    assert (self);
    return self->size;
}

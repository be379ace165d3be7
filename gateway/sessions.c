/*  =========================================================================
    sessions.c - the gateway's sessions by client id

    An open-addressing table of session pointers (the key is read from the
    session itself), linear probing, Fibonacci hashing of the id. An entry
    is one pointer, with no allocation per session: a zhashx item was a
    48-byte heap chunk per connection, scattered among everything a join
    burst frees. Removal shifts the following entries back (no
    tombstones); the table doubles past 3/4 full and halves below 1/8.
    =========================================================================
*/
#include "sessions.h"

#define SESSIONS_HASH_FACTOR    0x9E3779B97F4A7C15ULL   //  Fibonacci hashing
#define SESSIONS_INITIAL_BITS   6           //  first table: 64 entries
#define SESSIONS_GROW_NUM       3           //  grow past 3/4 full
#define SESSIONS_GROW_DEN       4
#define SESSIONS_SHRINK_DEN     8           //  shrink below 1/8 full
#define SESSIONS_WORD_BITS      64

struct _sessions_t {
    session_t **table;          //  1 << bits entries, NULL = free
    unsigned bits;              //  log2 of the table size
    size_t size;                //  sessions held
    size_t cursor;              //  next entry for sessions_next
};

static size_t
s_capacity (sessions_t *self)
{
    return (size_t) 1 << self->bits;
}

static size_t
s_home (sessions_t *self, uint64_t id)
{
    return (size_t) ((id * SESSIONS_HASH_FACTOR) >> (SESSIONS_WORD_BITS - self->bits));
}

sessions_t *
sessions_new (void)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    if (!self)
        return NULL;
    self->bits = SESSIONS_INITIAL_BITS;
    self->table = (session_t **) calloc (s_capacity (self), sizeof (session_t *));
    if (!self->table) {
        free (self);
        return NULL;
    }
    return self;
}

void
sessions_destroy (sessions_t **self_p)
{
    assert (self_p);
    sessions_t *self = *self_p;
    if (self) {
        free (self->table);
        free (self);
        *self_p = NULL;
    }
}

//  Put session in its first free entry (it is not in the table).
static void
s_place (sessions_t *self, session_t *session)
{
    size_t mask = s_capacity (self) - 1;
    size_t index = s_home (self, session_id (session));
    while (self->table [index])
        index = (index + 1) & mask;
    self->table [index] = session;
}

//  Move every session into a table of 1 << bits entries. On no memory the
//  old table stays (it only gets fuller or emptier than we like).
static void
s_resize (sessions_t *self, unsigned bits)
{
    session_t **table = (session_t **) calloc ((size_t) 1 << bits, sizeof (session_t *));
    if (!table)
        return;
    session_t **old = self->table;
    size_t old_capacity = s_capacity (self);
    self->table = table;
    self->bits = bits;
    for (size_t index = 0; index < old_capacity; index++)
        if (old [index])
            s_place (self, old [index]);
    free (old);
}

void
sessions_insert (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    assert (!sessions_lookup (self, session_id (session)));    //  ids are never reused
    if ((self->size + 1) * SESSIONS_GROW_DEN > s_capacity (self) * SESSIONS_GROW_NUM)
        s_resize (self, self->bits + 1);
    //  Full (no memory to grow) would make lookups loop forever
    assert (self->size + 1 < s_capacity (self));
    s_place (self, session);
    self->size++;
}

//  Entry of id, or the table size when it is not there.
static size_t
s_find (sessions_t *self, uint64_t id)
{
    size_t mask = s_capacity (self) - 1;
    size_t index = s_home (self, id);
    while (self->table [index]) {
        if (session_id (self->table [index]) == id)
            return index;
        index = (index + 1) & mask;
    }
    return s_capacity (self);
}

void
sessions_remove (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    size_t hole = s_find (self, session_id (session));
    if (hole == s_capacity (self))
        return;
    //  Move back every following entry whose home is not cyclically in
    //  (hole, its place]: it would be unreachable behind the hole
    size_t mask = s_capacity (self) - 1;
    size_t index = hole;
    while (true) {
        index = (index + 1) & mask;
        session_t *next = self->table [index];
        if (!next)
            break;
        size_t home = s_home (self, session_id (next));
        bool reachable = hole <= index? (hole < home && home <= index)
                                      : (hole < home || home <= index);
        if (!reachable) {
            self->table [hole] = next;
            hole = index;
        }
    }
    self->table [hole] = NULL;
    self->size--;
    if (self->bits > SESSIONS_INITIAL_BITS && self->size * SESSIONS_SHRINK_DEN < s_capacity (self))
        s_resize (self, self->bits - 1);
}

session_t *
sessions_lookup (sessions_t *self, uint64_t id)
{
    assert (self);
    size_t index = s_find (self, id);
    return index == s_capacity (self)? NULL: self->table [index];
}

session_t *
sessions_next (sessions_t *self)
{
    assert (self);
    size_t capacity = s_capacity (self);
    while (self->cursor < capacity) {
        session_t *session = self->table [self->cursor++];
        if (session)
            return session;
    }
    return NULL;
}

session_t *
sessions_first (sessions_t *self)
{
    assert (self);
    self->cursor = 0;
    return sessions_next (self);
}

size_t
sessions_size (sessions_t *self)
{
    assert (self);
    return self->size;
}

/*  =========================================================================
    sessions.c - the gateway's sessions by client id

    A ptable of session pointers keyed by the id read from the session:
    an entry is one pointer, with no allocation per session (a zhashx
    item was a 48-byte heap chunk per connection, scattered among
    everything a join burst frees).
    =========================================================================
*/
#include "sessions.h"
#include "ptable.h"

struct _sessions_t {
    ptable_t *table;            //  session_id -> session_t (not owned)
};

static uint64_t
s_hash (const void *item)
{
    return session_id ((session_t *) item);
}

static bool
s_match (const void *item, const void *key)
{
    return session_id ((session_t *) item) == *(const uint64_t *) key;
}

sessions_t *
sessions_new (void)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    if (!self)
        return NULL;
    self->table = ptable_new (s_hash);
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
        ptable_destroy (&self->table);
        free (self);
        *self_p = NULL;
    }
}

void
sessions_insert (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    assert (!sessions_lookup (self, session_id (session)));    //  ids are never reused
    //  Full (no memory to grow) would make lookups loop forever
    int rc = ptable_insert (self->table, session);
    assert (rc == 0);
}

void
sessions_remove (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    ptable_remove (self->table, session);
}

session_t *
sessions_lookup (sessions_t *self, uint64_t id)
{
    assert (self);
    return (session_t *) ptable_lookup (self->table, id, s_match, &id);
}

session_t *
sessions_first (sessions_t *self)
{
    assert (self);
    return (session_t *) ptable_first (self->table);
}

session_t *
sessions_next (sessions_t *self)
{
    assert (self);
    return (session_t *) ptable_next (self->table);
}

size_t
sessions_size (sessions_t *self)
{
    assert (self);
    return ptable_size (self->table);
}

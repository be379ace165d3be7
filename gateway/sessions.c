/*  =========================================================================
    sessions.c - the gateway's sessions by client id

    A zhashx whose key is the id itself (no string formatting, no key
    copies): a multiplicative hash and an integer comparison.
    =========================================================================
*/
#include "sessions.h"

#define SESSIONS_HASH_FACTOR    0x9E3779B97F4A7C15ULL   //  Fibonacci hashing

struct _sessions_t {
    zhashx_t *table;            //  id + 1 -> session_t (not owned)
};

static size_t
s_hash (const void *key)
{
    return (size_t) ((uint64_t) (uintptr_t) key * SESSIONS_HASH_FACTOR);
}

static int
s_compare (const void *left, const void *right)
{
    uintptr_t left_id = (uintptr_t) left, right_id = (uintptr_t) right;
    return left_id < right_id? -1: left_id > right_id;
}

//  zhashx keys must not be NULL: shift ids by one.
static void *
s_key (uint64_t id)
{
    return (void *) (uintptr_t) (id + 1);
}

sessions_t *
sessions_new (void)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    if (!self)
        return NULL;
    self->table = zhashx_new ();
    if (!self->table) {
        free (self);
        return NULL;
    }
    zhashx_set_key_hasher (self->table, s_hash);
    zhashx_set_key_comparator (self->table, s_compare);
    zhashx_set_key_duplicator (self->table, NULL);
    zhashx_set_key_destructor (self->table, NULL);
    return self;
}

void
sessions_destroy (sessions_t **self_p)
{
    assert (self_p);
    sessions_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->table);
        free (self);
        *self_p = NULL;
    }
}

void
sessions_insert (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    int rc = zhashx_insert (self->table, s_key (session_id (session)), session);
    assert (rc == 0);           //  client ids are never reused
    (void) rc;
}

void
sessions_remove (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    zhashx_delete (self->table, s_key (session_id (session)));
}

session_t *
sessions_lookup (sessions_t *self, uint64_t id)
{
    assert (self);
    return (session_t *) zhashx_lookup (self->table, s_key (id));
}

session_t *
sessions_first (sessions_t *self)
{
    assert (self);
    return (session_t *) zhashx_first (self->table);
}

session_t *
sessions_next (sessions_t *self)
{
    assert (self);
    return (session_t *) zhashx_next (self->table);
}

size_t
sessions_size (sessions_t *self)
{
    assert (self);
    return zhashx_size (self->table);
}

/*  =========================================================================
    sessions.h - the gateway's sessions by client id

    Replies from the router and published events name a session by its
    gateway-local client id; this registry finds it in one hash lookup.
    It does not own the sessions (their clients' lifetimes do).
    =========================================================================
*/
#ifndef SESSIONS_H_INCLUDED
#define SESSIONS_H_INCLUDED

#include "session.h"

typedef struct _sessions_t sessions_t;

//  Create an empty registry, or NULL.
sessions_t *
    sessions_new (void);

//  Destroy the registry (not the sessions); NULL-safe.
void
    sessions_destroy (sessions_t **self_p);

//  Add / remove a session (keyed by session_id).
void
    sessions_insert (sessions_t *self, session_t *session);
void
    sessions_remove (sessions_t *self, session_t *session);

//  The session of client id, or NULL (gone, or never ours).
session_t *
    sessions_lookup (sessions_t *self, uint64_t id);

//  Iterate over every session (no inserts or removes meanwhile).
session_t *
    sessions_first (sessions_t *self);
session_t *
    sessions_next (sessions_t *self);

size_t
    sessions_size (sessions_t *self);

#endif

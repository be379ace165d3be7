/*  =========================================================================
    sessions.c - every logged-in user, by router-wide session id

    An ids hash from session id to session_t, owning the records. Lookups
    on the chat path go gateway -> client id -> session id -> session_t,
    all O(1) and without formatting any key.
    =========================================================================
*/
#include "sessions.h"
#include "ids.h"

struct _sessions_t {
    zhashx_t *sessions;     //  session id -> session_t (owned)
    size_t max_sessions;    //  limit on live sessions
    uint64_t last_id;       //  last session id handed out
};

static void
s_session_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

sessions_t *
sessions_new (size_t max_sessions)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    assert (self);
    self->sessions = ids_hash_new ();
    zhashx_set_destructor (self->sessions, s_session_destroy);
    self->max_sessions = max_sessions;
    return self;
}

void
sessions_destroy (sessions_t **self_p)
{
    assert (self_p);
    sessions_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->sessions);
    free (self);
    *self_p = NULL;
}

bool
sessions_full (sessions_t *self)
{
    assert (self);
    return zhashx_size (self->sessions) >= self->max_sessions;
}

session_t *
sessions_add (sessions_t *self, const char *gateway, uint64_t client)
{
    assert (self);
    assert (gateway);
    assert (strlen (gateway) <= WIRE_GATEWAY_MAX);
    if (sessions_full (self))
        return NULL;
    session_t *session = (session_t *) zmalloc (sizeof (session_t));
    assert (session);
    session->id = ++self->last_id;
    session->client = client;
    snprintf (session->gateway, sizeof (session->gateway), "%s", gateway);
    zhashx_insert (self->sessions, &session->id, session);
    return session;
}

session_t *
sessions_lookup (sessions_t *self, uint64_t session_id)
{
    assert (self);
    return (session_t *) zhashx_lookup (self->sessions, &session_id);
}

int
sessions_remove (sessions_t *self, uint64_t session_id)
{
    assert (self);
    if (!zhashx_lookup (self->sessions, &session_id))
        return -1;
    zhashx_delete (self->sessions, &session_id);
    return 0;
}

size_t
sessions_size (sessions_t *self)
{
    assert (self);
    return zhashx_size (self->sessions);
}

/*  =========================================================================
    gateway.c - one registered gateway as the router sees it

    Liveness is a timestamp the router compares with --gateway-timeout;
    sessions are an ids hash from client id to session id.
    =========================================================================
*/
#include "gateway.h"
#include "ids.h"

struct _gateway_t {
    char *id;               //  routing id, as sent in HELLO
    char *name;             //  display name from HELLO
    int64_t last_seen;      //  zclock_mono of its last message
    zhashx_t *clients;      //  client id -> session id
};

gateway_t *
gateway_new (const char *id, const char *name, int64_t now)
{
    assert (id);
    gateway_t *self = (gateway_t *) zmalloc (sizeof (gateway_t));
    assert (self);
    self->id = strdup (id);
    self->name = strdup (name? name: "");
    assert (self->id && self->name);
    self->last_seen = now;
    self->clients = ids_hash_new ();
    return self;
}

void
gateway_destroy (gateway_t **self_p)
{
    assert (self_p);
    gateway_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->clients);
    zstr_free (&self->id);
    zstr_free (&self->name);
    free (self);
    *self_p = NULL;
}

const char *
gateway_id (gateway_t *self)
{
    assert (self);
    return self->id;
}

const char *
gateway_name (gateway_t *self)
{
    assert (self);
    return self->name;
}

int64_t
gateway_last_seen (gateway_t *self)
{
    assert (self);
    return self->last_seen;
}

void
gateway_touch (gateway_t *self, int64_t now)
{
    assert (self);
    self->last_seen = now;
}

uint64_t
gateway_session (gateway_t *self, uint64_t client)
{
    assert (self);
    return IDS_FROM_VALUE (zhashx_lookup (self->clients, &client));
}

int
gateway_add_session (gateway_t *self, uint64_t client, uint64_t session_id)
{
    assert (self);
    assert (session_id);
    return zhashx_insert (self->clients, &client, IDS_VALUE (session_id));
}

int
gateway_remove_session (gateway_t *self, uint64_t client)
{
    assert (self);
    if (!zhashx_lookup (self->clients, &client))
        return -1;
    zhashx_delete (self->clients, &client);
    return 0;
}

size_t
gateway_session_count (gateway_t *self)
{
    assert (self);
    return zhashx_size (self->clients);
}

uint64_t *
gateway_session_ids (gateway_t *self, size_t *count_p)
{
    assert (self);
    assert (count_p);
    *count_p = zhashx_size (self->clients);
    if (*count_p == 0)
        return NULL;
    uint64_t *ids = (uint64_t *) malloc (*count_p * sizeof (uint64_t));
    assert (ids);
    size_t index = 0;
    for (void *value = zhashx_first (self->clients); value;
         value = zhashx_next (self->clients))
        ids [index++] = IDS_FROM_VALUE (value);
    assert (index == *count_p);
    return ids;
}

/*  =========================================================================
    gateway.c - one registered gateway as the router sees it

    Liveness is a timestamp the router compares with --gateway-timeout.
    The id string is what the gateway's sessions borrow (sessions.h). The
    id is public (published with every room event); the route, the
    routing id of the connection that registered it, is not: replies go
    to the route, and only that connection speaks for the gateway.
    =========================================================================
*/
#include "gateway.h"

struct _gateway_t {
    char *id;               //  gateway id, as sent in HELLO
    char *route;            //  routing id of the connection that sent the HELLO
    char *name;             //  display name from HELLO
    int64_t last_seen;      //  zclock_mono of its last message
    bool rejoined;          //  came back after being dropped as lost
};

gateway_t *
gateway_new (const char *id, const char *route, const char *name, int64_t now)
{
    assert (id);
    assert (route);
    gateway_t *self = (gateway_t *) zmalloc (sizeof (gateway_t));
    assert (self);
    self->id = strdup (id);
    self->route = strdup (route);
    self->name = strdup (name? name: "");
    assert (self->id && self->route && self->name);
    self->last_seen = now;
    return self;
}

void
gateway_destroy (gateway_t **self_p)
{
    assert (self_p);
    gateway_t *self = *self_p;
    if (!self)
        return;
    zstr_free (&self->id);
    zstr_free (&self->route);
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
gateway_route (gateway_t *self)
{
    assert (self);
    return self->route;
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

bool
gateway_rejoined (gateway_t *self)
{
    assert (self);
    return self->rejoined;
}

void
gateway_set_rejoined (gateway_t *self, bool rejoined)
{
    assert (self);
    self->rejoined = rejoined;
}

/*  =========================================================================
    gateway.h - one registered gateway as the router sees it

    A gateway is known from its HELLO until its BYE, DRAINED or timeout.
    Its sessions live in the sessions registry, keyed by (gateway id,
    client id); they borrow the gateway's id string, so a gateway record
    must outlive its sessions.
    =========================================================================
*/
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include "chat.h"

typedef struct _gateway_t gateway_t;

//  Create a gateway record; id is the gateway id from its HELLO, route
//  the routing id of the connection the HELLO came on, name its display
//  name, now the time it was heard from (zclock_mono milliseconds).
gateway_t *
    gateway_new (const char *id, const char *route, const char *name, int64_t now);

//  Destroy the record; NULL-safe, sets *self_p to NULL.
void
    gateway_destroy (gateway_t **self_p);

//  Gateway id (public), route (the routing id replies go to; never
//  shown anywhere) and display name.
const char *
    gateway_id (gateway_t *self);
const char *
    gateway_route (gateway_t *self);
const char *
    gateway_name (gateway_t *self);

//  When it was last heard from, in zclock_mono milliseconds.
int64_t
    gateway_last_seen (gateway_t *self);

//  Note that the gateway was heard from at now.
void
    gateway_touch (gateway_t *self, int64_t now);

//  True if this gateway registered again after the router had dropped
//  it as lost: the rooms saw its users leave, so its resync LOGINs must
//  announce them again.
bool
    gateway_rejoined (gateway_t *self);
void
    gateway_set_rejoined (gateway_t *self, bool rejoined);

#endif

/*  =========================================================================
    gateways.h - registry of live gateways, by gateway id and by route

    Owns every gateway_t. The router finds the sender of each ingress
    message here by its route (the routing id of the connection whose
    HELLO registered it), a gateway by its id when a session names it,
    and walks it for timeouts, STATUS and drain.
    =========================================================================
*/
#ifndef GATEWAYS_H_INCLUDED
#define GATEWAYS_H_INCLUDED

#include "chat.h"
#include "gateway.h"

typedef struct _gateways_t gateways_t;

//  Create an empty registry.
gateways_t *
    gateways_new (void);

//  Destroy the registry and every gateway; NULL-safe, sets *self_p NULL.
void
    gateways_destroy (gateways_t **self_p);

//  Register a new gateway reached at route. Returns it (borrowed), or
//  NULL if the id or the route is already registered.
gateway_t *
    gateways_add (gateways_t *self, const char *id, const char *route, const char *name,
                  int64_t now);

//  The gateway with this id, or NULL. Borrowed.
gateway_t *
    gateways_lookup (gateways_t *self, const char *id);

//  The gateway registered from this route, or NULL. Borrowed.
gateway_t *
    gateways_by_route (gateways_t *self, const char *route);

//  Forget and destroy a gateway. Returns 0, or -1 if unknown.
int
    gateways_remove (gateways_t *self, const char *id);

//  Number of gateways.
size_t
    gateways_size (gateways_t *self);

//  A new list of the gateways (borrowed) sorted by id; the caller
//  destroys the list. Safe to remove gateways while walking it.
zlistx_t *
    gateways_sorted (gateways_t *self);

#endif

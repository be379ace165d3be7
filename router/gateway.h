/*  =========================================================================
    gateway.h - one registered gateway as the router sees it

    A gateway is known from its HELLO until its BYE, DRAINED or timeout.
    It holds the map from its own client ids to router session ids, so a
    SAY finds its session with two hash lookups and no string formatting,
    and so dropping a gateway finds all of its sessions at once.
    =========================================================================
*/
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include "chat.h"

typedef struct _gateway_t gateway_t;

//  Create a gateway record; id is its routing id, name its display
//  name, now the time it was heard from (zclock_mono milliseconds).
gateway_t *
    gateway_new (const char *id, const char *name, int64_t now);

//  Destroy the record; NULL-safe, sets *self_p to NULL.
void
    gateway_destroy (gateway_t **self_p);

//  Routing id and display name.
const char *
    gateway_id (gateway_t *self);
const char *
    gateway_name (gateway_t *self);

//  When it was last heard from, in zclock_mono milliseconds.
int64_t
    gateway_last_seen (gateway_t *self);

//  Note that the gateway was heard from at now.
void
    gateway_touch (gateway_t *self, int64_t now);

//  Session id of one of its clients, or 0 if that client has none.
uint64_t
    gateway_session (gateway_t *self, uint64_t client);

//  Record the session of a client. Returns 0, or -1 if it has one.
int
    gateway_add_session (gateway_t *self, uint64_t client, uint64_t session_id);

//  Forget the session of a client. Returns 0, or -1 if it had none.
int
    gateway_remove_session (gateway_t *self, uint64_t client);

//  Number of sessions on this gateway.
size_t
    gateway_session_count (gateway_t *self);

//  A new array of its session ids (count in *count_p), for the caller to
//  free; lets the caller drop sessions while walking them. NULL if none.
uint64_t *
    gateway_session_ids (gateway_t *self, size_t *count_p);

#endif

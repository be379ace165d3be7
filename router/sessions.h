/*  =========================================================================
    sessions.h - every logged-in user, by router-wide session id

    A session is one user on one gateway: (gateway id, client id) with a
    nickname and a room. The registry owns the session_t records and hands
    out session ids (1, 2, 3, ...; never 0, never reused while the router
    runs), which the other registries (rooms, nicks, gateways) store
    instead of pointers.
    =========================================================================
*/
#ifndef SESSIONS_H_INCLUDED
#define SESSIONS_H_INCLUDED

#include "chat.h"
#include "wire.h"

//  One session. The registry owns it; fields are plain data.
typedef struct {
    uint64_t id;                            //  router-wide session id
    uint64_t client;                        //  gateway-local client id
    char gateway [WIRE_GATEWAY_MAX + 1];    //  gateway id
    char nick [CHAT_NICK_MAX + 1];          //  nickname as the user spelled it
    char room [CHAT_ROOM_MAX + 1];          //  canonical name of its room
} session_t;

typedef struct _sessions_t sessions_t;

//  Create an empty registry holding at most max_sessions sessions.
sessions_t *
    sessions_new (size_t max_sessions);

//  Destroy the registry and every session; NULL-safe, sets *self_p NULL.
void
    sessions_destroy (sessions_t **self_p);

//  Create a session for (gateway, client) with a fresh id, nick and room
//  empty. Returns it (borrowed), or NULL if the registry is full.
session_t *
    sessions_add (sessions_t *self, const char *gateway, uint64_t client);

//  The session with this id, or NULL. Borrowed.
session_t *
    sessions_lookup (sessions_t *self, uint64_t session_id);

//  Forget a session; the record is freed. Returns 0, or -1 if unknown.
int
    sessions_remove (sessions_t *self, uint64_t session_id);

//  Number of sessions.
size_t
    sessions_size (sessions_t *self);

//  True if no session can be added.
bool
    sessions_full (sessions_t *self);

#endif

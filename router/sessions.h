/*  =========================================================================
    sessions.h - every logged-in user, by (gateway id, client id)

    A session is one user on one gateway: (gateway id, client id) with a
    nickname and a room. The registry owns the session_t records, one
    allocation each: everything the other registries need lives inside
    the record (the nickname the nicks table is keyed by, the links of
    its room's member list), so a session costs one record and a pointer
    in each of two tables (this one and the nicks table), nothing else.
    A session id (1, 2, 3, ...; never 0, never reused while the router
    runs) names a session in logs and tests.
    =========================================================================
*/
#ifndef SESSIONS_H_INCLUDED
#define SESSIONS_H_INCLUDED

#include "chat.h"
#include "wire.h"

typedef struct _room_t room_t;
typedef struct _session_t session_t;

//  One session. The registry owns it. gateway is borrowed from the
//  gateway record (router/gateway.c), which outlives its sessions: a
//  gateway's sessions are dropped before the gateway is.
struct _session_t {
    const char *gateway;                    //  gateway id (borrowed)
    uint64_t client;                        //  gateway-local client id
    uint64_t id;                            //  router-wide session id
    room_t *room;                           //  its room, NULL when in none
    session_t *room_prev;                   //  room's member list (room.c)
    session_t *room_next;
    char nick [CHAT_NICK_MAX + 1];          //  nickname as the user spelled it (the nicks key)
    bool nick_held;                         //  in the nicks table (nicks.c)
};

typedef struct _sessions_t sessions_t;

//  Create an empty registry holding at most max_sessions sessions.
sessions_t *
    sessions_new (size_t max_sessions);

//  Destroy the registry and every session; NULL-safe, sets *self_p NULL.
void
    sessions_destroy (sessions_t **self_p);

//  Create a session for (gateway, client) with a fresh id, no nick and no
//  room. gateway must stay valid while the session lives. Returns it
//  (borrowed), or NULL if the registry is full or the pair has one.
session_t *
    sessions_add (sessions_t *self, const char *gateway, uint64_t client);

//  The session of (gateway, client), or NULL. Borrowed.
session_t *
    sessions_lookup (sessions_t *self, const char *gateway, uint64_t client);

//  Forget a session; the record is freed. It must be out of its room and
//  out of the nicks table already.
void
    sessions_remove (sessions_t *self, session_t *session);

//  A new array of the sessions of one gateway (count in *count_p; NULL
//  if none), for the caller to free; lets the caller drop sessions while
//  walking them. Walks every session: for rare events (gateway lost).
session_t **
    sessions_of_gateway (sessions_t *self, const char *gateway, size_t *count_p);

//  Number of sessions.
size_t
    sessions_size (sessions_t *self);

//  True if no session can be added.
bool
    sessions_full (sessions_t *self);

#endif

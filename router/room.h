/*  =========================================================================
    room.h - one room: its members and its sequence number

    A room knows which sessions are in it and numbers the events published
    on its topic 1, 2, 3, ... so gateways can count what they missed.
    Members are an intrusive list threaded through the session records
    (session_t's room links), so membership allocates nothing; a session
    is in at most one room.
    =========================================================================
*/
#ifndef ROOM_H_INCLUDED
#define ROOM_H_INCLUDED

#include "chat.h"
#include "sessions.h"

//  Create an empty room; name must be canonical (names_canonical_room).
room_t *
    room_new (const char *name);

//  Destroy a room; NULL-safe, sets *self_p to NULL.
void
    room_destroy (room_t **self_p);

//  The room's canonical name.
const char *
    room_name (room_t *self);

//  Sequence number of the last event published (0 before the first).
uint64_t
    room_seq (room_t *self);

//  Continue numbering after seq (a new room whose history the store
//  holds up to seq). Only before the first event: seq must not go back.
void
    room_set_seq (room_t *self, uint64_t seq);

//  Take the next sequence number for an event about to be published.
uint64_t
    room_next_seq (room_t *self);

//  Add a session that is in no room. Returns 0, or -1 if it already is
//  in one (this or another).
int
    room_join (room_t *self, session_t *session);

//  Remove a member. Returns 0, or -1 if it was not a member.
int
    room_leave (room_t *self, session_t *session);

//  True if the session is a member.
bool
    room_has_member (room_t *self, session_t *session);

//  Number of members.
size_t
    room_member_count (room_t *self);

//  Iterate members: the first, then session->room_next until NULL. Do
//  not change the room while iterating.
session_t *
    room_first_member (room_t *self);

#endif

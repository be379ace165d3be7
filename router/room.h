/*  =========================================================================
    room.h - one room: its members and its sequence number

    A room knows which sessions are in it (by session id, never by
    pointer) and numbers the events published on its topic 1, 2, 3, ...
    so gateways can count what they missed.
    =========================================================================
*/
#ifndef ROOM_H_INCLUDED
#define ROOM_H_INCLUDED

#include "chat.h"

typedef struct _room_t room_t;

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

//  Take the next sequence number for an event about to be published.
uint64_t
    room_next_seq (room_t *self);

//  Add a session. Returns 0, or -1 if it already is a member.
int
    room_join (room_t *self, uint64_t session_id);

//  Remove a session. Returns 0, or -1 if it was not a member.
int
    room_leave (room_t *self, uint64_t session_id);

//  True if the session is a member.
bool
    room_has_member (room_t *self, uint64_t session_id);

//  Number of members.
size_t
    room_member_count (room_t *self);

//  Iterate members: first / next session id, 0 at the end. Do not change
//  the room while iterating.
uint64_t
    room_first_member (room_t *self);
uint64_t
    room_next_member (room_t *self);

#endif

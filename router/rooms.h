/*  =========================================================================
    rooms.h - the name -> room registry

    Owns every room_t. A room exists while it has members: rooms_ensure
    creates it on first join (up to a limit), rooms_remove_if_empty
    deletes it when the last member leaves.
    =========================================================================
*/
#ifndef ROOMS_H_INCLUDED
#define ROOMS_H_INCLUDED

#include "chat.h"
#include "room.h"

typedef struct _rooms_t rooms_t;

//  Create an empty registry holding at most max_rooms rooms.
rooms_t *
    rooms_new (size_t max_rooms);

//  Destroy the registry and every room; NULL-safe, sets *self_p to NULL.
void
    rooms_destroy (rooms_t **self_p);

//  The room with this canonical name, or NULL. Borrowed.
room_t *
    rooms_lookup (rooms_t *self, const char *name);

//  The room with this canonical name, created if needed; NULL when it
//  does not exist and the registry is full. Borrowed.
room_t *
    rooms_ensure (rooms_t *self, const char *name);

//  Delete the room if it has no members. Returns 0 if it was deleted
//  (the room pointer is then dangling), -1 if it was kept.
int
    rooms_remove_if_empty (rooms_t *self, room_t *room);

//  Number of rooms.
size_t
    rooms_size (rooms_t *self);

//  True if a new room would exceed the limit.
bool
    rooms_full (rooms_t *self);

//  Iterate rooms in no particular order; NULL at the end.
room_t *
    rooms_first (rooms_t *self);
room_t *
    rooms_next (rooms_t *self);

//  A new list of the rooms (borrowed room_t pointers) sorted by name.
//  Caller destroys the list, not the rooms.
zlistx_t *
    rooms_sorted (rooms_t *self);

#endif

/*  =========================================================================
    subs.h - the gateway's room subscriptions and local room members

    One entry per room that a local session is in or joining. The entry
    counts those sessions (refs): the first ref subscribes to the room's
    topic and starts probing, the last unref unsubscribes and forgets the
    room. A room is PROBING until the router's PROBED with our token comes
    back on its topic, then LIVE; sessions that wait for it to be live
    (their LOGIN or JOIN is held) are kept as waiters.

    A PROBE that goes unanswered is sent again with a backoff (the owner
    calls subs_probe_due every tick), and from the third resend on the
    room is subscribed afresh first: ZeroMQ may have lost the
    subscription itself (past a high-water mark), and probing again
    alone would wait for it forever. PROBING rooms are on a list of
    their own, so a tick costs the rooms that probe, not all rooms.

    Each room also holds the array of its local members (the sessions
    that get its traffic, from their JOINED event on) and the last
    sequence number seen. A member is a subs_member_t embedded in the
    owner's session, so fan-out walks one array with no lookups, and
    removal is O(1) (the member knows its index).

    This module does no I/O: subscribing is the owner's job, through the
    events given to subs_new. That keeps it testable without ZeroMQ.
    =========================================================================
*/
#ifndef SUBS_H_INCLUDED
#define SUBS_H_INCLUDED

#include "chat.h"

typedef struct _subs_t subs_t;
typedef struct _subs_room_t subs_room_t;

typedef enum {
    SUBS_PROBING = 1,       //  subscribed, waiting for our PROBED
    SUBS_LIVE               //  PROBED seen: the room's traffic reaches us
} subs_state_t;

//  A local member of a room, embedded in the owner's per-session object.
typedef struct {
    void *data;             //  owner's pointer (the session's client)
    uint64_t id;            //  client id, to skip a message's own sender
    subs_room_t *room;      //  room delivering to this member, or NULL
    size_t index;           //  position in the room's member array
    void *hold;             //  owner's replay_t while its live lines are held, else NULL
} subs_member_t;

typedef struct {
    //  The room got its first ref: subscribe to its topic and send the
    //  first PROBE with subs_room_token ().
    void (*subscribe) (void *owner, subs_room_t *room);
    //  The room lost its last ref: unsubscribe from its topic.
    void (*unsubscribe) (void *owner, const char *room);
} subs_events_t;

//  Create an empty set. events are called synchronously from subs_ref
//  and subs_unref.
subs_t *
    subs_new (const subs_events_t *events, void *owner);

//  Destroy the set (no unsubscribe events); NULL-safe.
void
    subs_destroy (subs_t **self_p);

//  Number of rooms held.
size_t
    subs_size (subs_t *self);

//  Take one ref on room (canonical name), creating it as PROBING (and
//  calling subscribe) if it is new. Returns the room.
subs_room_t *
    subs_ref (subs_t *self, const char *room);

//  Drop one ref on room; at zero, detach its members, call unsubscribe
//  and forget it. Unknown rooms are ignored.
void
    subs_unref (subs_t *self, const char *room);

//  The room's entry, or NULL when no local session needs it.
subs_room_t *
    subs_lookup (subs_t *self, const char *room);

//  A PROBED arrived on room's topic with token (already checked to carry
//  our gateway id). Returns true if this made the room LIVE (the owner
//  then starts its waiters).
bool
    subs_probed (subs_t *self, const char *room, uint64_t token);

//  Put every room back to PROBING with a fresh token (a PROBED for an
//  older token no longer counts), after a router restart: until the new
//  router's PUB answers, our subscriptions there are not known to hold.
//  The owner then sends PROBE for each (subs_each_probing).
void
    subs_reprobe (subs_t *self);

//  Call fn for every PROBING room (to resend PROBE).
typedef void (subs_room_fn) (void *arg, subs_room_t *room);
void
    subs_each_probing (subs_t *self, subs_room_fn *fn, void *arg);

//  One tick of the probe backoff: call fn for every PROBING room whose
//  next PROBE is due, with resubscribe true when the room should be
//  subscribed afresh (unsubscribe, subscribe) before that PROBE. A room
//  waits 1, 2, 4, ... up to SUBS_PROBE_BACKOFF_MAX ticks between
//  resends; resubscribe is true from its SUBS_RESUBSCRIBE_AFTER-th
//  resend on. fn must not ref or unref rooms.
#define SUBS_PROBE_BACKOFF_MAX  16      //  ticks between resends, at most
#define SUBS_RESUBSCRIBE_AFTER  3       //  resends before subscribing afresh
typedef void (subs_probe_fn) (void *arg, subs_room_t *room, bool resubscribe);
void
    subs_probe_due (subs_t *self, subs_probe_fn *fn, void *arg);

//  Room accessors.
const char *
    subs_room_name (subs_room_t *self);
size_t
    subs_room_refs (subs_room_t *self);
subs_state_t
    subs_room_state (subs_room_t *self);
uint64_t
    subs_room_token (subs_room_t *self);

//  PROBEs resent for this room since it last started probing.
size_t
    subs_room_resends (subs_room_t *self);

//  Remember that client id waits for this room to be LIVE.
void
    subs_room_wait (subs_room_t *self, uint64_t id);

//  Forget that client id waits for this room (its wait was given up).
void
    subs_room_unwait (subs_room_t *self, uint64_t id);

//  Take the waiters list: returns an array of *count_p ids for the caller
//  to free (NULL when there are none); the room's list is then empty.
uint64_t *
    subs_room_take_waiters (subs_room_t *self, size_t *count_p);

//  Account for a published message with sequence number seq. Returns the
//  number of messages missed just before it (0 when in order). The first
//  message after the room went live only sets the counter; a number that
//  goes down (router restart) resets it.
uint64_t
    subs_room_sequence (subs_room_t *self, uint64_t seq);

//  The members of a room, as an array of *count_p pointers (borrowed; the
//  array changes on any member add or remove).
subs_member_t **
    subs_room_members (subs_room_t *self, size_t *count_p);

//  Make member a member of room (removing it from its previous room).
void
    subs_member_add (subs_room_t *room, subs_member_t *member);

//  Stop delivering to member; a no-op when it is in no room.
void
    subs_member_remove (subs_member_t *member);

#endif

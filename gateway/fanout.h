/*  =========================================================================
    fanout.h - published room traffic to the room's local members

    The benchmark's hot path. For each published room event: account for
    its sequence number (and tell members what was missed), follow the
    membership events that name our sessions, format the line once and
    write the same bytes to every member, skipping the sender of a chat
    or /me line. No per-member allocation, formatting, lookup or copy:
    the line is copied once into the client set's pass buffer and each
    member's flush sends from there (client_write_shared).
    =========================================================================
*/
#ifndef FANOUT_H_INCLUDED
#define FANOUT_H_INCLUDED

#include "wire.h"
#include "subs.h"
#include "format.h"
#include "sessions.h"
#include "relay.h"

typedef struct {
    subs_t *subs;               //  rooms and their members
    format_t *format;           //  the line buffer
    sessions_t *sessions;       //  to find sessions named by JOINED / LEFT
    client_set_t *clients;      //  whose pass buffer holds each line once (client.h)
    const char *gateway_id;     //  ours: tells our sessions from others'
    relay_t *relay;             //  asks for missed ranges (NULL: just report them)
    zhashx_t *recoveries;       //  room -> recovery_t (recovery.h), made when needed
    int64_t now;                //  the owner's clock (ms), for recovery deadlines
    uint64_t announce_max;      //  join/leave lines only in rooms up to this many
                                //  members, else only to the one who came or went;
                                //  0 = always (--announce-max)
} fanout_t;

//  Deliver one published room event (CHAT, EMOTE, JOINED, LEFT, RENAMED,
//  NOTICE). Rooms we are not subscribed to, or not live yet, are ignored.
//  A jump in the room's seq starts a recovery of the missed range: the
//  message (and the room's traffic after it) is then held, and *msg_p
//  becomes NULL. Otherwise msg stays the caller's.
void
    fanout_room_message (fanout_t *self, wire_msg_t **msg_p);

//  A router reply for client 0 (HISTORY_LINE/ACTION, HISTORY_END
//  "recover"): the answer to a recovery. Borrows msg.
void
    fanout_on_recovered (fanout_t *self, wire_msg_t *msg);

//  Give up recoveries past their deadline (now: the owner's clock, ms).
void
    fanout_tick (fanout_t *self, int64_t now);

//  Free what recoveries still hold (at exit).
void
    fanout_fini (fanout_t *self);

#endif

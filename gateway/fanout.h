/*  =========================================================================
    fanout.h - published room traffic to the room's local members

    The benchmark's hot path. For each published room event: account for
    its sequence number (and tell members what was missed), follow the
    membership events that name our sessions, format the line once and
    write the same bytes to every member, skipping the sender of a chat
    or /me line. No per-member allocation, formatting or lookup.
    =========================================================================
*/
#ifndef FANOUT_H_INCLUDED
#define FANOUT_H_INCLUDED

#include "wire.h"
#include "subs.h"
#include "format.h"
#include "sessions.h"

typedef struct {
    subs_t *subs;               //  rooms and their members
    format_t *format;           //  the line buffer
    sessions_t *sessions;       //  to find sessions named by JOINED / LEFT
    const char *gateway_id;     //  ours: tells our sessions from others'
    uint64_t announce_max;      //  join/leave lines only in rooms up to this many
                                //  members, else only to the one who came or went;
                                //  0 = always (--announce-max)
} fanout_t;

//  Deliver one published room event (CHAT, EMOTE, JOINED, LEFT, RENAMED,
//  NOTICE). Rooms we are not subscribed to, or not live yet, are ignored.
//  Borrows msg.
void
    fanout_room_message (fanout_t *self, wire_msg_t *msg);

#endif

/*  =========================================================================
    replay.h - one session's room history: the join replay and /history

    After a JOIN or a first LOGIN the router sends the session the newest
    lines of its new room below the JOINED seq J (HISTORY_LINE/ACTION),
    then HISTORY_END "join" naming J. Live delivery starts at the JOINED
    (on the SUB, another channel), so the two can arrive in either order.
    While the replay is due the session's member holds its live lines
    (subs_member_t's hold points here; fan-out calls replay_hold); at the
    end the client gets the replay, "* end of history", then what was
    held: every line once, in seq order, whatever the timing.

    The hold is bounded (REPLAY_HOLD_MAX bytes) and timed (the session
    gives it up at its join timeout, replay_give_up): past either, what
    is held is delivered at once after "! history unavailable", and the
    late replay is dropped when it comes. The session holds its client's
    input while the replay is due, so a /join cannot start a second one.

    /history answers (HISTORY_END "page") are written as they arrive and
    remember the oldest seq shown, from which /history more pages back.
    =========================================================================
*/
#ifndef REPLAY_H_INCLUDED
#define REPLAY_H_INCLUDED

#include "chat.h"
#include "wire.h"
#include "client.h"
#include "subs.h"
#include "format.h"
#include "command.h"

#define REPLAY_HOLD_MAX         (64 * 1024)     //  bytes of live lines held per member
#define REPLAY_PAGE_LINES       20              //  /history and /history more, by default
#define REPLAY_MORE             "more"          //  /history more

//  Embedded in the session; no allocation until lines are held.
typedef struct {
    client_t *client;               //  where lines go (not owned)
    subs_member_t *member;          //  the session's member (its hold points here)
    char *held;                     //  live lines held, CRLF each
    size_t held_size;               //  bytes used of held
    size_t held_capacity;           //  bytes allocated
    bool skipping;                  //  a replay given up: drop its lines when they come
    uint64_t answer_first;          //  oldest seq of the answer arriving (0: none yet)
    uint64_t more_before;           //  /history more shows lines below this (0: none)
} replay_t;

//  Set up the replay of a session's client and member. Releasing the
//  hold resumes the client's input (harmless if something else holds it).
void
    replay_init (replay_t *self, client_t *client, subs_member_t *member);

//  Free what is held (the session is going); lines held are lost.
void
    replay_fini (replay_t *self);

//  A JOIN or first LOGIN went up: hold the member's live lines until its
//  replay has been delivered.
void
    replay_begin (replay_t *self);

//  True while live lines are held.
bool
    replay_waiting (replay_t *self);

//  Fan-out: one live line for the member while it holds. Keeps a copy;
//  past the bound, gives the replay up.
void
    replay_hold (replay_t *self, const char *data, size_t size);

//  The replay took too long: "! history unavailable", deliver what is
//  held, drop the replay when it comes.
void
    replay_give_up (replay_t *self);

//  The replay will not come (JOIN refused or given up, router restarted):
//  deliver what is held. skip: the router may still send it; drop it.
void
    replay_cancel (replay_t *self, bool skip);

//  A HISTORY_LINE, HISTORY_ACTION or HISTORY_END for this session.
//  Borrows msg; format is the gateway's line buffer.
void
    replay_on_reply (replay_t *self, format_t *format, const wire_msg_t *msg);

//  The HISTORY request of a /history command (COMMAND_HISTORY) from
//  client, for the caller to send (an owed reply), or NULL after putting
//  the answer into format instead: a usage error, or "no older history
//  in #room" for /history more past the oldest line.
wire_msg_t *
    replay_request (replay_t *self, const command_t *command, format_t *format,
                    const char *room);

//  True if msg is a HISTORY_END that ends a join's replay (not a page).
bool
    replay_is_join_end (const wire_msg_t *msg);

#endif

/*  =========================================================================
    session.h - one user of the gateway: the per-session state machine

    A session starts with its client connection: it needs the default
    room's subscription to be live, sends LOGIN, and holds the client's
    input until LOGGED_IN (then it writes the welcome). While chatting it
    turns each line into a request (command.c) or a local answer, and
    each reply from the router into output. /join moves it: the new
    room's subscription must be live before JOIN goes up; its old room
    stops delivering to it at once; membership in the new room starts
    with its JOINED event (gateway.c sees the published stream).

        WAITING --room live--> LOGGING_IN --LOGGED_IN--> CHATTING
                                                  (JOINING is a sub-state)

    The session holds one subscription ref on its room and one on the
    room it is joining, and is a subs member of at most one room.

    Nothing waits forever. A login, a /join or a resync that is not
    answered within the context's join timeout is given up: a login
    closes the client with "! login timed out, try again later", a
    /join stays in (or goes back to) the old room with "! join to #room
    timed out, try again" and its held input resumes. Sessions with a
    request in flight are on a list in the context, oldest first, so
    session_expire looks at its head only. /quit is acted on at once even
    while input is held (session_on_held_line). The session also counts
    the replies it is owed (WHO, ROOMS, PRIVMSG, NICK): a client whose
    peer has closed is kept until they arrive (session_settled).
    =========================================================================
*/
#ifndef SESSION_H_INCLUDED
#define SESSION_H_INCLUDED

#include "chat.h"
#include "wire.h"
#include "client.h"
#include "relay.h"
#include "subs.h"
#include "format.h"
#include "slab.h"
#include "loop.h"

typedef struct _session_t session_t;

typedef enum {
    SESSION_WAITING = 1,    //  default room not live yet; LOGIN not sent
    SESSION_LOGGING_IN,     //  LOGIN sent, input held
    SESSION_CHATTING        //  logged in
} session_state_t;

//  What every session shares, owned by the gateway.
typedef struct {
    relay_t *relay;         //  uplink
    subs_t *subs;           //  room subscriptions and members
    format_t *format;       //  the line buffer
    slab_t *slab;           //  memory of the sessions (session_slab_new)
    uint64_t list_max;      //  /rooms and /who show at most this many (0 = all)
    bool silent;            //  no LOGOUT on close (drain, shutdown: the router knows)
    loop_t *loop;           //  the clock of the deadlines (may be NULL: none)
    int64_t join_timeout_ms;    //  a login, /join or resync gives up after; 0 = never
    session_t *waiting_head;    //  sessions with a request in flight, oldest first
    session_t *waiting_tail;
} session_ctx_t;

//  Create the allocator sessions come from (one per gateway, in the
//  context), or NULL; the owner destroys it with slab_destroy once every
//  session is gone.
slab_t *
    session_slab_new (void);

//  Create the session of a new client: takes a ref on the default room,
//  pauses the client and sends LOGIN as soon as the room is live.
session_t *
    session_new (session_ctx_t *ctx, client_t *client);

//  End a session: leave rooms, send LOGOUT with reason (unless the
//  context is silent, or LOGIN never went up), free it. NULL-safe.
void
    session_destroy (session_t **self_p, const char *reason);

//  Accessors.
uint64_t
    session_id (session_t *self);
client_t *
    session_client (session_t *self);
session_state_t
    session_state (session_t *self);
const char *
    session_nick (session_t *self);
const char *
    session_room (session_t *self);
subs_member_t *
    session_member (session_t *self);

//  A validated line from the client. Returns 0 when consumed, or
//  CLIENT_AGAIN to hold it (login in flight, uplink full).
int
    session_on_line (session_t *self, const char *line, size_t size);

//  A room became LIVE and this session waited for it: send the held
//  LOGIN or JOIN.
void
    session_room_live (session_t *self, subs_room_t *room);

//  A reply from the router for this session (LOGGED_IN, NICKED, ERROR,
//  ROOM_LIST, WHO_LIST, PRIVATE, PRIVATE_SENT). Borrows msg (list entries
//  may be reordered).
void
    session_on_reply (session_t *self, wire_msg_t *msg);

//  The published JOINED naming this session arrived in room: deliver
//  from now on, finish a pending /join. Returns true if the session is
//  now a member of room (the caller then includes it in the JOINED line).
bool
    session_on_joined (session_t *self, subs_room_t *room);

//  The published LEFT naming this session was delivered in room: stop
//  delivering that room to it.
void
    session_on_left (session_t *self, subs_room_t *room);

//  The router restarted (the owner has put every room back to probing):
//  hold input, and register again (LOGIN with x = "resync") once our room
//  is live on the new router; a /join in flight goes up again after it.
//  A session whose first LOGIN was in flight logs in again the same way.
void
    session_resync (session_t *self);

//  Write the line just formatted into the gateway's shared format_t to
//  the client, in the form it reads (format_write); dropped when closing.
void
    session_write_formatted (session_t *self);

//  Give up every request in flight past the join timeout (see above).
//  Call it from a periodic tick.
void
    session_expire (session_ctx_t *ctx);

//  A line the client sent while its input is held (not yet offered with
//  session_on_line). Returns true when it was acted on at once (/quit:
//  "* Bye!" and close), false when it waits its turn.
bool
    session_on_held_line (session_t *self, const char *line, size_t size);

//  True when the session has nothing in flight: logged in, no join or
//  resync, no reply owed. A client whose peer closed ends then.
bool
    session_settled (session_t *self);

#endif

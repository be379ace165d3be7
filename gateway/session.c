/*  =========================================================================
    session.c - one user of the gateway: the per-session state machine

    Requests that come straight from a client line are session_line.c's
    (relay_try_send, held by the client layer when the uplink is full).
    Requests the session makes on its own behalf (LOGIN, JOIN, LOGOUT)
    use relay_send, which queues instead of failing.

    Input is held (client paused, lines answered CLIENT_AGAIN) while the
    login or a /join is in flight, and until the join's replay is out
    (replay.c), so every line reaches the router after the request that
    put the session in its room. A refused /join comes
    back as JOIN_REFUSED naming the room, so the ERROR of a line sent just
    before the /join is not taken for it.

    A /join whose JOIN went up and then timed out may still move us on
    the router (the JOIN waits in a queue, or its JOINED was lost): a
    JOIN back to our room follows it, in order, and its refusal ("you are
    already in") is not shown.
    =========================================================================
*/
#include "session_private.h"

#define SESSION_RESYNC      "resync"    //  LOGIN text after a router restart


//  A request is in flight: login, /join or resync (input is held).
bool
session_busy (session_t *self)
{
    return self->state != SESSION_CHATTING || self->joining || self->resyncing
        || replay_waiting (&self->replay);
}

static void
s_wait_remove (session_t *self)
{
    if (!self->wait_listed)
        return;
    session_ctx_t *ctx = self->ctx;
    if (self->wait_prev)
        self->wait_prev->wait_next = self->wait_next;
    else
        ctx->waiting_head = self->wait_next;
    if (self->wait_next)
        self->wait_next->wait_prev = self->wait_prev;
    else
        ctx->waiting_tail = self->wait_prev;
    self->wait_prev = self->wait_next = NULL;
    self->wait_listed = false;
}

//  After any change of state: a session that became busy goes on the
//  waiting list (its deadline starts now; one already on it keeps its
//  place), one that is no longer busy leaves it; a settled session whose
//  peer has closed may now end.
void
session_update (session_t *self)
{
    session_ctx_t *ctx = self->ctx;
    bool busy = session_busy (self);
    if (busy && !self->wait_listed && ctx->loop && ctx->join_timeout_ms > 0) {
        self->wait_deadline = loop_now (ctx->loop) + ctx->join_timeout_ms;
        self->wait_listed = true;
        self->wait_prev = ctx->waiting_tail;
        self->wait_next = NULL;
        if (ctx->waiting_tail)
            ctx->waiting_tail->wait_next = self;
        else
            ctx->waiting_head = self;
        ctx->waiting_tail = self;
    }
    else
    if (!busy)
        s_wait_remove (self);
    if (!busy && self->owed == 0)
        client_check_eof (self->client);
}

static void
s_send_login (session_t *self, const char *text)
{
    wire_msg_t *msg = wire_msg_new (WIRE_LOGIN);
    msg->client = self->member.id;
    wire_msg_set_nick (msg, self->state == SESSION_CHATTING? self->nick: "");
    wire_msg_set_room (msg, subs_room_name (self->room));
    wire_msg_set_text (msg, text);
    //  A first LOGIN is answered with the room's replay; a resync is not
    if (!*text)
        replay_begin (&self->replay);
    //  A LOGIN still queued (resync before it left) is replaced, not doubled
    relay_retract (self->ctx->relay, &self->login_ticket);
    relay_send_tracked (self->ctx->relay, &msg, &self->login_ticket);
}

void
session_send_join (session_t *self)
{
    wire_msg_t *msg = wire_msg_new (WIRE_JOIN);
    msg->client = self->member.id;
    wire_msg_set_room (msg, subs_room_name (self->joining));
    relay_send (self->ctx->relay, &msg);
    self->join_sent = true;
    replay_begin (&self->replay);
}

slab_t *
session_slab_new (void)
{
    return slab_new (sizeof (session_t));
}

session_t *
session_new (session_ctx_t *ctx, client_t *client)
{
    assert (ctx);
    assert (client);
    session_t *self = (session_t *) slab_alloc (ctx->slab);
    assert (self);
    self->ctx = ctx;
    self->client = client;
    self->state = SESSION_WAITING;
    self->member.data = client;
    self->member.id = client_id (client);
    replay_init (&self->replay, client, &self->member);
    client_pause (client);
    self->room = subs_ref (ctx->subs, CHAT_DEFAULT_ROOM);
    if (subs_room_state (self->room) == SUBS_LIVE) {
        self->state = SESSION_LOGGING_IN;
        s_send_login (self, "");
    }
    else
        subs_room_wait (self->room, self->member.id);
    session_update (self);
    return self;
}

void
session_destroy (session_t **self_p, const char *reason)
{
    assert (self_p);
    session_t *self = *self_p;
    if (!self)
        return;
    subs_member_remove (&self->member);
    replay_fini (&self->replay);
    s_wait_remove (self);
    //  A LOGIN that never left the relay's queue is taken back: the router
    //  never heard of us, so no LOGOUT either (churn while the router is
    //  away must not grow the queue)
    bool unsent = relay_retract (self->ctx->relay, &self->login_ticket);
    if (!unsent && !self->ctx->silent && self->state != SESSION_WAITING && !self->refused) {
        wire_msg_t *msg = wire_msg_new (WIRE_LOGOUT);
        msg->client = self->member.id;
        wire_msg_set_text (msg, reason);
        relay_send (self->ctx->relay, &msg);
    }
    if (self->joining)
        subs_unref (self->ctx->subs, subs_room_name (self->joining));
    subs_unref (self->ctx->subs, subs_room_name (self->room));
    slab_free (self->ctx->slab, self);
    *self_p = NULL;
}

uint64_t
session_id (session_t *self)
{
    assert (self);
    return self->member.id;
}

client_t *
session_client (session_t *self)
{
    assert (self);
    return self->client;
}

session_state_t
session_state (session_t *self)
{
    assert (self);
    return self->state;
}

const char *
session_nick (session_t *self)
{
    assert (self);
    return self->nick;
}

const char *
session_room (session_t *self)
{
    assert (self);
    return subs_room_name (self->room);
}

subs_member_t *
session_member (session_t *self)
{
    assert (self);
    return &self->member;
}

//  Write the line just formatted into the shared buffer.
void
session_write_formatted (session_t *self)
{
    format_write (self->ctx->format, self->client);
}

//  Our room is live on the new router: re-register (silently), then
//  resend a join that was in flight if its room is live too (else its
//  PROBED will).
static void
s_send_resync (session_t *self)
{
    self->resync_wait = false;
    s_send_login (self, SESSION_RESYNC);
    if (self->joining && !self->join_sent && subs_room_state (self->joining) == SUBS_LIVE)
        session_send_join (self);
}

void
session_room_live (session_t *self, subs_room_t *room)
{
    assert (self);
    assert (room);
    if (self->state == SESSION_WAITING && room == self->room) {
        self->state = SESSION_LOGGING_IN;
        s_send_login (self, "");
    }
    else
    if (self->resync_wait && room == self->room)
        s_send_resync (self);
    else
    if (self->joining && !self->join_sent && !self->resync_wait
    &&  room == self->joining)
        session_send_join (self);
}

//  The join is over (JOINED or refused): release the room we are not in.
static void
s_end_join (session_t *self, bool moved)
{
    subs_room_t *released = moved? self->room: self->joining;
    if (moved)
        self->room = self->joining;
    self->joining = NULL;
    self->join_sent = false;
    subs_unref (self->ctx->subs, subs_room_name (released));
    client_resume (self->client);
    session_update (self);
}

static void
s_on_logged_in (session_t *self, wire_msg_t *msg)
{
    const char *nick = msg->nick? msg->nick: "";
    const char *room = msg->room && *msg->room? msg->room: subs_room_name (self->room);
    if (!streq (room, subs_room_name (self->room)) && strlen (room) <= CHAT_ROOM_MAX) {
        //  The router placed us elsewhere: follow it
        subs_member_remove (&self->member);
        subs_room_t *previous = self->room;
        self->room = subs_ref (self->ctx->subs, room);
        subs_unref (self->ctx->subs, subs_room_name (previous));
    }
    if (self->state == SESSION_LOGGING_IN) {
        snprintf (self->nick, sizeof (self->nick), "%s", nick);
        self->state = SESSION_CHATTING;
        format_welcome (self->ctx->format, self->nick, subs_room_name (self->room));
        session_write_formatted (self);
        if (!self->joining)
            client_resume (self->client);
        session_update (self);
        return;
    }
    if (self->resyncing) {
        self->resyncing = false;
        if (!streq (nick, self->nick)) {
            snprintf (self->nick, sizeof (self->nick), "%s", nick);
            format_nick_now (self->ctx->format, self->nick);
            session_write_formatted (self);
        }
        //  A resync LOGIN is silent (no JOINED): deliver again at once
        if (!self->joining && !self->member.room)
            subs_member_add (self->room, &self->member);
        if (!self->joining)
            client_resume (self->client);
        session_update (self);
    }
}

//  A LOGIN (first or resync) went up and is not answered yet.
static bool
s_login_outstanding (session_t *self)
{
    return self->state == SESSION_LOGGING_IN || (self->resyncing && !self->resync_wait);
}

static void s_on_reply (session_t *self, wire_msg_t *msg, format_t *format);

void
session_on_reply (session_t *self, wire_msg_t *msg)
{
    assert (self);
    assert (msg);
    format_t *format = self->ctx->format;
    switch (msg->id) {
        case WIRE_HISTORY_END:
            //  A join's replay is not owed (a page is)
            if (replay_is_join_end (msg))
                break;
            //  fall through
        case WIRE_NICKED:
        case WIRE_ERROR:
        case WIRE_ROOM_LIST:
        case WIRE_WHO_LIST:
        case WIRE_PRIVATE_SENT:
            //  The router answers in order: this pays the oldest debt
            if (self->owed > 0 && !s_login_outstanding (self))
                self->owed--;
            break;
        default:
            break;
    }
    s_on_reply (self, msg, format);
    session_update (self);
}

//  session_on_reply, once the debt is counted.
static void
s_on_reply (session_t *self, wire_msg_t *msg, format_t *format)
{
    switch (msg->id) {
        case WIRE_LOGGED_IN:
            s_on_logged_in (self, msg);
            return;
        case WIRE_HISTORY_LINE:
        case WIRE_HISTORY_ACTION:
        case WIRE_HISTORY_END:
            replay_on_reply (&self->replay, format, msg);
            return;
        case WIRE_NICKED:
            if (!msg->nick || streq (msg->nick, self->nick))
                return;
            //  The renamer hears of it here, not from the room's RENAMED
            //  (the fanout skips them): a /join right behind the /nick
            //  takes them out of the room before RENAMED gets there
            //  (written before the nickname changes: the event borrows it)
            format_renamed (format, self->nick, msg->nick);
            session_write_formatted (self);
            snprintf (self->nick, sizeof (self->nick), "%s", msg->nick);
            return;
        case WIRE_ERROR:
            format_error (format, msg->text);
            if (s_login_outstanding (self)) {
                //  Input is held while a LOGIN is outstanding, so no other
                //  request is in flight: the router refused the LOGIN
                //  (too many sessions, shutting down). Tell, and close.
                session_write_formatted (self);
                self->refused = true;
                client_close (self->client, CLIENT_CLOSE_REFUSED);
                return;
            }
            //  An earlier request failed; never the join in flight, which
            //  the router answers with JOIN_REFUSED
            break;
        case WIRE_JOIN_REFUSED:
            if (self->returning && msg->room && streq (msg->room, subs_room_name (self->room))) {
                //  Our way back: the router never moved us
                self->returning = false;
                return;
            }
            format_error (format, msg->text);
            session_write_formatted (self);
            if (self->joining && self->join_sent && msg->room
            &&  streq (msg->room, subs_room_name (self->joining))) {
                //  The router refused the move: we are still in our room
                replay_cancel (&self->replay, false);
                s_end_join (self, false);
                subs_member_add (self->room, &self->member);
            }
            return;
        case WIRE_ROOM_LIST:
            format_room_list (format, msg->entries, msg->entry_count, msg->total, msg->text);
            break;
        case WIRE_WHO_LIST:
            format_who_list (format, msg->room, msg->entries, msg->entry_count, msg->total);
            break;
        case WIRE_PRIVATE:
            format_private (format, msg->nick, msg->text);
            break;
        case WIRE_PRIVATE_SENT:
            format_private_sent (format, msg->nick, msg->text);
            break;
        default:
            return;
    }
    session_write_formatted (self);
}

bool
session_on_joined (session_t *self, subs_room_t *room)
{
    assert (self);
    assert (room);
    if (self->joining && room == self->joining) {
        subs_member_add (room, &self->member);
        s_end_join (self, true);
        return true;
    }
    if (!self->joining && self->state != SESSION_WAITING && room == self->room) {
        self->returning = false;
        subs_member_add (room, &self->member);
        return true;
    }
    return false;
}

void
session_on_left (session_t *self, subs_room_t *room)
{
    assert (self);
    if (self->member.room == room)
        subs_member_remove (&self->member);
}

//  Wait for room to be live (a PROBED calls session_room_live), unless
//  it already is. Returns true if it is live now.
static bool
s_wait_live (session_t *self, subs_room_t *room)
{
    if (subs_room_state (room) == SUBS_LIVE)
        return true;
    subs_room_wait (room, self->member.id);
    return false;
}

void
session_resync (session_t *self)
{
    assert (self);
    //  What the old router owed us is lost with it (a JOIN back to our
    //  room may still reach the new one: its refusal stays unshown)
    self->owed = 0;
    replay_cancel (&self->replay, false);
    if (self->state == SESSION_LOGGING_IN) {
        //  Our LOGIN went to the old router: again, once the room is live
        self->state = SESSION_WAITING;
        if (s_wait_live (self, self->room))
            session_room_live (self, self->room);
    }
    else
    if (self->state == SESSION_CHATTING) {
        //  Input is held until the resync LOGIN is answered; a join in
        //  flight goes up again after it, once its room is live
        self->resyncing = true;
        self->resync_wait = true;
        client_pause (self->client);
        if (self->joining) {
            self->join_sent = false;
            s_wait_live (self, self->joining);
        }
        if (s_wait_live (self, self->room))
            s_send_resync (self);
    }
    session_update (self);
}

//  The request in flight took longer than the join timeout: give it up.
static void
s_expire (session_t *self)
{
    format_t *format = self->ctx->format;
    if (client_is_closing (self->client))
        return;
    if (self->state != SESSION_CHATTING) {
        format_error (format, FORMAT_LOGIN_TIMEOUT);
        session_write_formatted (self);
        client_close (self->client, CLIENT_CLOSE_TIMEOUT);
        return;
    }
    if (self->joining) {
        format_join_timeout (format, subs_room_name (self->joining));
        session_write_formatted (self);
        if (self->join_sent) {
            //  It may still move us: go back, after it, in order
            wire_msg_t *msg = wire_msg_new (WIRE_JOIN);
            msg->client = self->member.id;
            wire_msg_set_room (msg, subs_room_name (self->room));
            relay_send (self->ctx->relay, &msg);
            self->returning = true;
        }
        else
            subs_room_unwait (self->joining, self->member.id);
        replay_cancel (&self->replay, self->join_sent);
        //  A resync gives our membership back with its LOGGED_IN
        if (!self->resyncing)
            subs_member_add (self->room, &self->member);
        s_end_join (self, false);
        return;
    }
    //  The replay of a join that went through did not come in time
    replay_give_up (&self->replay);
    if (self->resyncing) {
        //  The router may have lost our LOGIN: say it again
        format_error (format, FORMAT_RESYNC_TIMEOUT);
        session_write_formatted (self);
        if (!self->resync_wait)
            s_send_login (self, SESSION_RESYNC);
    }
}

void
session_expire (session_ctx_t *ctx)
{
    assert (ctx);
    if (!ctx->loop)
        return;
    int64_t now = loop_now (ctx->loop);
    while (ctx->waiting_head && ctx->waiting_head->wait_deadline <= now) {
        session_t *self = ctx->waiting_head;
        s_wait_remove (self);
        s_expire (self);
        session_update (self);        //  still busy (a resync): a new deadline
    }
}

bool
session_settled (session_t *self)
{
    assert (self);
    return !session_busy (self) && self->owed == 0;
}

/*  =========================================================================
    fanout.c - published room traffic to the room's local members

    Membership follows the published stream (docs/PROTOCOL.md): a session
    joins a room's delivery at the JOINED naming it, so it sees that line
    and everything after; it leaves at the LEFT naming it, after that
    line. Sequence numbers are counted only once a room is live.
    =========================================================================
*/
#include "fanout.h"
#include "client.h"
#include "gateway_metrics.h"
#include "replay.h"
#include "recovery.h"

#define FANOUT_RECOVER_TAG      "recover"   //  HISTORY_END of a recovery

//  Write the formatted line to every member of room, except the member
//  with skip_id when skip is true (a sender does not get its own line).
//  One form of the line (text or JSON), put in the pass buffer for the
//  first member that reads it.
typedef struct {
    client_shared_t shared;
    int state;                  //  0 not yet, 1 shared, -1 no room: copied per member
} fanout_form_t;

//  Write the line to client in form: from the pass buffer, or by copy.
static int
s_write_form (fanout_t *self, client_t *client, fanout_form_t *form,
              const char *data, size_t size)
{
    if (form->state == 0)
        form->state = self->clients
                    && client_set_share (self->clients, data, size, &form->shared) == 0? 1: -1;
    return form->state == 1? client_write_shared (client, &form->shared)
                           : client_write (client, data, size);
}

static void
s_write_members (fanout_t *self, subs_room_t *room, bool skip, uint64_t skip_id)
{
    fanout_form_t text = { { 0, 0 }, 0 }, json = { { 0, 0 }, 0 };
    size_t count;
    subs_member_t **members = subs_room_members (room, &count);
    for (size_t index = 0; index < count; index++) {
        subs_member_t *member = members [index];
        if (skip && member->id == skip_id)
            continue;
        client_t *client = (client_t *) member->data;
        //  The member's form: the text line, or the JSON rendered once
        //  for the first member that reads it (format.h)
        size_t size = format_size (self->format);
        bool as_json = format_client_json (client);
        const char *data = as_json? format_json_data (self->format, &size): format_data (self->format);
        //  A member whose join replay is on its way keeps its live lines
        //  until the replay is out (replay.h)
        if (member->hold) {
            //  Counted now: the held line goes out behind the replay
            replay_hold ((replay_t *) member->hold, data, size);
            GATEWAY_COUNT (GATEWAY_METRIC_LINES_DELIVERED);
        }
        else
        if (s_write_form (self, client, as_json? &json: &text, data, size) == 0)
            GATEWAY_COUNT (GATEWAY_METRIC_LINES_DELIVERED);
    }
}

static void s_deliver (fanout_t *self, subs_room_t *room, wire_msg_t *msg);

//  Ask the router for the part of the range still to come.
static void
s_ask (fanout_t *self, const char *room, recovery_t *recovery)
{
    wire_msg_t *request = wire_msg_new (WIRE_RECOVER);
    wire_msg_set_room (request, room);
    request->seq = recovery_from (recovery);
    request->limit = recovery_to (recovery) - recovery_from (recovery) + 1;
    relay_send (self->relay, &request);
}

//  Ask the router for seqs from .. to of room, and hold the room's
//  traffic from now on.
static void
s_start_recovery (fanout_t *self, const char *room, uint64_t from, uint64_t to)
{
    if (!self->recoveries) {
        self->recoveries = zhashx_new ();
        assert (self->recoveries);
    }
    GATEWAY_COUNT (GATEWAY_METRIC_GAPS);
    recovery_t *recovery = recovery_new (from, to, self->now + RECOVERY_TIMEOUT_MS);
    zhashx_insert (self->recoveries, room, recovery);
    s_ask (self, room, recovery);
}

//  The recovery of room is over: report what stayed missed, then deliver
//  what it held, in order (a new gap among them starts a new recovery,
//  which holds the rest).
static void
s_end_recovery (fanout_t *self, const char *room_name, recovery_t *recovery)
{
    uint64_t missed = recovery_missed (recovery);
    zsys_info ("fanout: recovery room=%s seqs=%" PRIu64 "..%" PRIu64 " missed=%" PRIu64,
               room_name, recovery_first (recovery), recovery_to (recovery), missed);
    GATEWAY_ADD (GATEWAY_METRIC_MISSED, missed);
    zhashx_delete (self->recoveries, room_name);
    subs_room_t *room = subs_lookup (self->subs, room_name);
    if (room && missed) {
        format_missed (self->format, missed, room_name);
        s_write_members (self, room, false, 0);
    }
    wire_msg_t *msg;
    while ((msg = recovery_next (recovery))) {
        fanout_room_message (self, &msg);
        wire_msg_destroy (&msg);
    }
    recovery_destroy (&recovery);
}

//  A join or leave line: to every member, or in a room bigger than
//  announce_max only to the session that came or went (if ours), so mass
//  joins do not drown a big room; /who still lists everyone.
static void
s_write_announcement (fanout_t *self, subs_room_t *room, wire_msg_t *msg, session_t *session)
{
    if (self->announce_max == 0 || msg->total <= self->announce_max)
        s_write_members (self, room, false, 0);
    else
    if (session && session_client (session))
        format_write (self->format, session_client (session));
}

void
fanout_room_message (fanout_t *self, wire_msg_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    wire_msg_t *msg = *msg_p;
    subs_room_t *room = subs_lookup (self->subs, msg->room);
    if (!room || subs_room_state (room) != SUBS_LIVE)
        return;
    recovery_t *recovery = self->recoveries && zhashx_size (self->recoveries)
                         ? (recovery_t *) zhashx_lookup (self->recoveries, msg->room): NULL;
    if (recovery) {
        //  Behind a recovery in flight: in order, after it
        if (!recovery_hold (recovery, msg_p))
            s_end_recovery (self, msg->room, recovery);
        return;
    }
    uint64_t missed = subs_room_sequence (room, msg->seq);
    if (missed && self->relay) {
        s_start_recovery (self, msg->room, msg->seq - missed, msg->seq - 1);
        recovery = (recovery_t *) zhashx_lookup (self->recoveries, msg->room);
        recovery_hold (recovery, msg_p);
        return;
    }
    if (missed) {
        GATEWAY_COUNT (GATEWAY_METRIC_GAPS);
        GATEWAY_ADD (GATEWAY_METRIC_MISSED, missed);
        format_missed (self->format, missed, msg->room);
        s_write_members (self, room, false, 0);
    }
    s_deliver (self, room, msg);
}

void
fanout_on_recovered (fanout_t *self, wire_msg_t *msg)
{
    assert (self);
    assert (msg);
    recovery_t *recovery = self->recoveries && msg->room
                         ? (recovery_t *) zhashx_lookup (self->recoveries, msg->room): NULL;
    if (!recovery)
        return;                 //  given up already, or not ours
    if (msg->id == WIRE_HISTORY_END) {
        if (!msg->text || !streq (msg->text, FANOUT_RECOVER_TAG))
            return;
        //  Answers come in parts: ask for the next, or deliver what waited
        if (recovery_answered (recovery, msg->seq))
            s_ask (self, msg->room, recovery);
        else
            s_end_recovery (self, msg->room, recovery);
        return;
    }
    subs_room_t *room = subs_lookup (self->subs, msg->room);
    if (!room)
        return;
    recovery_got (recovery);
    GATEWAY_COUNT (GATEWAY_METRIC_RECOVERED);
    if (msg->id == WIRE_HISTORY_ACTION)
        format_emote (self->format, msg->room, msg->nick, msg->text);
    else
        format_chat (self->format, msg->room, msg->nick, msg->text);
    s_write_members (self, room, false, 0);
}

void
fanout_tick (fanout_t *self, int64_t now)
{
    assert (self);
    self->now = now;
    if (!self->recoveries || zhashx_size (self->recoveries) == 0)
        return;
    zlistx_t *late = zlistx_new ();
    for (recovery_t *recovery = (recovery_t *) zhashx_first (self->recoveries); recovery;
         recovery = (recovery_t *) zhashx_next (self->recoveries))
        if (recovery_late (recovery, now))
            zlistx_add_end (late, (void *) zhashx_cursor (self->recoveries));
    for (const char *name = (const char *) zlistx_first (late); name;
         name = (const char *) zlistx_next (late)) {
        char room [CHAT_ROOM_MAX + 1];
        snprintf (room, sizeof (room), "%s", name);
        recovery_t *recovery = (recovery_t *) zhashx_lookup (self->recoveries, room);
        s_end_recovery (self, room, recovery);
    }
    zlistx_destroy (&late);
}

void
fanout_fini (fanout_t *self)
{
    assert (self);
    if (!self->recoveries)
        return;
    for (recovery_t *recovery = (recovery_t *) zhashx_first (self->recoveries); recovery;
         recovery = (recovery_t *) zhashx_next (self->recoveries))
        recovery_destroy (&recovery);
    zhashx_destroy (&self->recoveries);
}

//  One room event for the room's members, in order.
static void
s_deliver (fanout_t *self, subs_room_t *room, wire_msg_t *msg)
{
    bool ours = msg->gateway && streq (msg->gateway, self->gateway_id);
    //  Only JOINED and LEFT change one of our sessions; chat lines, the
    //  hot path, need no lookup
    session_t *session = NULL;
    if (ours && (msg->id == WIRE_JOINED || msg->id == WIRE_LEFT))
        session = sessions_lookup (self->sessions, msg->client);
    switch (msg->id) {
        case WIRE_CHAT:
            format_chat (self->format, msg->room, msg->nick, msg->text);
            s_write_members (self, room, ours, msg->client);
            break;
        case WIRE_EMOTE:
            format_emote (self->format, msg->room, msg->nick, msg->text);
            s_write_members (self, room, ours, msg->client);
            break;
        case WIRE_JOINED:
            if (session)
                session_on_joined (session, room);
            format_joined (self->format, msg->room, msg->nick);
            s_write_announcement (self, room, msg, session);
            break;
        case WIRE_LEFT:
            format_left (self->format, msg->room, msg->nick, msg->text);
            s_write_announcement (self, room, msg, session);
            if (session)
                session_on_left (session, room);
            break;
        case WIRE_RENAMED:
            //  Not to the renamer: their NICKED reply tells them (session.c)
            format_renamed (self->format, msg->nick, msg->target);
            s_write_members (self, room, ours, msg->client);
            break;
        case WIRE_NOTICE:
            format_notice (self->format, msg->text);
            s_write_members (self, room, false, 0);
            break;
        default:
            break;
    }
}

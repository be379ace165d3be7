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

//  Write the formatted line to every member of room, except the member
//  with skip_id when skip is true (a sender does not get its own line).
static void
s_write_members (fanout_t *self, subs_room_t *room, bool skip, uint64_t skip_id)
{
    size_t count;
    subs_member_t **members = subs_room_members (room, &count);
    const char *data = format_data (self->format);
    size_t size = format_size (self->format);
    for (size_t index = 0; index < count; index++) {
        subs_member_t *member = members [index];
        if (!skip || member->id != skip_id)
            client_write ((client_t *) member->data, data, size);
    }
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
        client_write (session_client (session), format_data (self->format),
                      format_size (self->format));
}

void
fanout_room_message (fanout_t *self, wire_msg_t *msg)
{
    assert (self);
    assert (msg);
    subs_room_t *room = subs_lookup (self->subs, msg->room);
    if (!room || subs_room_state (room) != SUBS_LIVE)
        return;
    uint64_t missed = subs_room_sequence (room, msg->seq);
    if (missed) {
        format_missed (self->format, missed, msg->room);
        s_write_members (self, room, false, 0);
    }
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
            format_renamed (self->format, msg->nick, msg->target);
            s_write_members (self, room, false, 0);
            break;
        case WIRE_NOTICE:
            format_notice (self->format, msg->text);
            s_write_members (self, room, false, 0);
            break;
        default:
            break;
    }
}

/*  =========================================================================
    session_line.c - what one client line asks of its session

    A line is parsed (command.c) and becomes a request to the router or a
    local answer. Requests go up with relay_try_send: if the uplink is
    full the line is held by the client layer and offered again later, so
    nothing here has a side effect before that send. Requests the router
    always answers once (WHO, ROOMS, PRIVMSG, NICK, HISTORY) are counted
    as owed, so a client whose peer closed waits for them.
    =========================================================================
*/
#include "session_private.h"

#define SESSION_UTF8_MASK   0xC0        //  top bits of a UTF-8 byte...
#define SESSION_UTF8_NEXT   0x80        //  ...that continue a character

//  Copy a name argument into buffer (size max + 1); false if it is longer.
static bool
s_copy_name (const command_t *command, char *buffer, size_t max)
{
    if (command->name_size > max)
        return false;
    memcpy (buffer, command->name, command->name_size);
    buffer [command->name_size] = 0;
    return true;
}

//  Cap text at the wire's limit without cutting a UTF-8 character.
static size_t
s_text_size (const char *text, size_t size)
{
    if (size <= WIRE_TEXT_MAX)
        return size;
    size = WIRE_TEXT_MAX;
    while (size > 0 && ((unsigned char) text [size] & SESSION_UTF8_MASK) == SESSION_UTF8_NEXT)
        size--;
    return size;
}

//  Send a request made from a client line. Returns 0 or CLIENT_AGAIN.
static int
s_try_send (session_t *self, wire_msg_t **msg_p)
{
    return relay_try_send (self->ctx->relay, msg_p)? CLIENT_AGAIN: 0;
}

//  s_try_send for a request the router always answers, once, on our
//  uplink (WHO, ROOMS, PRIVMSG, NICK): the reply is owed.
static int
s_try_send_owed (session_t *self, wire_msg_t **msg_p)
{
    int rc = s_try_send (self, msg_p);
    if (rc == 0)
        self->owed++;
    return rc;
}

static int
s_handle_text (session_t *self, wire_id_t id, const command_t *command)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = self->member.id;
    wire_msg_set_textn (msg, command->text, s_text_size (command->text, command->text_size));
    return s_try_send (self, &msg);
}

//  A request of verb id naming the command's nickname argument (/msg,
//  /nick), or NULL when that name is not a valid nickname (for /nick:
//  one a user may pick): the user is told why and nothing goes up.
static wire_msg_t *
s_nick_request (session_t *self, wire_id_t id, const command_t *command)
{
    char nick [CHAT_NICK_MAX + 1];
    names_status_t status = s_copy_name (command, nick, CHAT_NICK_MAX)?
        (id == WIRE_NICK? names_check_chosen_nick (nick): names_check_nick (nick)):
        NAMES_TOO_LONG;
    if (status != NAMES_OK) {
        format_invalid_nick (self->ctx->format, names_status_text (status));
        session_write_formatted (self);
        return NULL;
    }
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = self->member.id;
    wire_msg_set_nick (msg, nick);
    return msg;
}

static int
s_handle_msg (session_t *self, const command_t *command)
{
    wire_msg_t *msg = s_nick_request (self, WIRE_PRIVMSG, command);
    if (!msg)
        return 0;
    wire_msg_set_textn (msg, command->text, s_text_size (command->text, command->text_size));
    return s_try_send_owed (self, &msg);
}

static int
s_handle_nick (session_t *self, const command_t *command)
{
    wire_msg_t *msg = s_nick_request (self, WIRE_NICK, command);
    return msg? s_try_send_owed (self, &msg): 0;
}

//  The command's room name argument in canonical form, into room
//  (CHAT_ROOM_MAX + 1 bytes); -1 when it is not a valid room name: the
//  user is told why.
static int
s_room_argument (session_t *self, const command_t *command, char *room)
{
    char name [CHAT_ROOM_MAX + 2];      //  a leading '#' is allowed
    names_status_t status = s_copy_name (command, name, CHAT_ROOM_MAX + 1)?
        names_canonical_room (name, room): NAMES_TOO_LONG;
    if (status == NAMES_OK)
        return 0;
    format_invalid_room (self->ctx->format, names_status_text (status));
    session_write_formatted (self);
    return -1;
}

//  /rooms [word] and /who: the router picks at most list_max entries (the
//  biggest rooms, whose name contains the word) and says how many there
//  were, so a reply stays small however many rooms or members there are.
static int
s_handle_list (session_t *self, const command_t *command)
{
    char room [CHAT_ROOM_MAX + 1] = "";
    if (command->name_size > 0 && s_room_argument (self, command, room) == -1)
        return 0;
    wire_msg_t *msg = wire_msg_new (command->type == COMMAND_ROOMS? WIRE_ROOMS: WIRE_WHO);
    msg->client = self->member.id;
    msg->limit = self->ctx->list_max;
    if (command->type == COMMAND_ROOMS)
        wire_msg_set_text (msg, room);
    return s_try_send_owed (self, &msg);
}

//  /join: stop the old room's delivery now, make sure the new room is
//  subscribed and live, then JOIN; input is held until JOINED or ERROR.
static int
s_handle_join (session_t *self, const command_t *command)
{
    char room [CHAT_ROOM_MAX + 1];
    if (s_room_argument (self, command, room) == -1)
        return 0;
    if (streq (room, subs_room_name (self->room))) {
        format_already_in (self->ctx->format, room);
        session_write_formatted (self);
        return 0;
    }
    subs_member_remove (&self->member);
    self->joining = subs_ref (self->ctx->subs, room);
    self->join_sent = false;
    client_pause (self->client);
    if (subs_room_state (self->joining) == SUBS_LIVE)
        session_send_join (self);
    else
        subs_room_wait (self->joining, self->member.id);
    session_update (self);
    return 0;
}

//  /quit: it is local, so it never waits for the router.
static void
s_quit (session_t *self)
{
    format_notice (self->ctx->format, FORMAT_BYE);
    session_write_formatted (self);
    client_close (self->client, CLIENT_CLOSE_QUIT);
}

bool
session_on_held_line (session_t *self, const char *line, size_t size)
{
    assert (self);
    command_t command;
    command_parse (line, size, &command);
    if (command.type != COMMAND_QUIT)
        return false;
    s_quit (self);
    return true;
}

int
session_on_line (session_t *self, const char *line, size_t size)
{
    assert (self);
    if (session_busy (self)) {
        client_pause (self->client);
        return CLIENT_AGAIN;
    }
    command_t command;
    command_parse (line, size, &command);
    format_t *format = self->ctx->format;
    switch (command.type) {
        case COMMAND_SAY:
            return s_handle_text (self, WIRE_SAY, &command);
        case COMMAND_ME:
            return s_handle_text (self, WIRE_ACTION, &command);
        case COMMAND_MSG:
            return s_handle_msg (self, &command);
        case COMMAND_NICK:
            return s_handle_nick (self, &command);
        case COMMAND_JOIN:
            return s_handle_join (self, &command);
        case COMMAND_ROOMS:
        case COMMAND_WHO:
            return s_handle_list (self, &command);
        case COMMAND_HISTORY: {
            wire_msg_t *msg = replay_request (&self->replay, &command, format,
                                              subs_room_name (self->room));
            if (msg)
                return s_try_send_owed (self, &msg);
            break;
        }
        case COMMAND_HELP:
            format_help (format, command.name, command.name_size);
            break;
        case COMMAND_QUIT:
            s_quit (self);
            return 0;
        case COMMAND_USAGE:
            format_usage (format, command.usage);
            break;
        case COMMAND_UNKNOWN:
            format_unknown_command (format, command.name, command.name_size);
            break;
    }
    session_write_formatted (self);
    return 0;
}

/*  =========================================================================
    format.h - every line a client sees, exactly as docs/PROTOCOL.md shows

    A format_t is one reusable, growable line buffer. Each format_* call
    replaces its content with one complete output line, CRLF included,
    ready for client_write. The gateway formats a published message once
    and writes the same bytes to every member of the room, so nothing here
    is per member. The buffer grows for long lists and is then reused: in
    steady state formatting does not allocate.

    Two output forms, one event: each format_* call also records what
    happened as a format_event_t (a chat line: room, nick, text), and
    format_write gives each client the form it reads: the telnet lines
    (rendered at once, here) or, for a WebSocket client that chose
    zchat.v1.json (TRANSPORT_JSON), one JSON object per line, rendered
    from the event by format_json.c the first time a client asks for it
    and then reused, so a fan-out renders each form at most once per
    message. Events without fields of their own (help, usage, the fixed
    notices and errors) are FORMAT_EVENT_LINES: their JSON is one notice
    or error per text line. docs/PROTOCOL.md section 3 lists the shapes.
    =========================================================================
*/
#ifndef FORMAT_H_INCLUDED
#define FORMAT_H_INCLUDED

#include "chat.h"
#include "wire.h"
#include "command.h"

#define FORMAT_LINE_END     "\r\n"

typedef struct _format_t format_t;
typedef struct _client_t client_t;

//  What a format_* call rendered, for the JSON form (docs/PROTOCOL.md).
typedef enum {
    FORMAT_EVENT_LINES = 0,     //  only its text: notices and errors
    FORMAT_EVENT_WELCOME,       //  nick, room
    FORMAT_EVENT_NICK,          //  nick (yours now)
    FORMAT_EVENT_CHAT,          //  room, nick, text
    FORMAT_EVENT_ACTION,        //  room, nick, text
    FORMAT_EVENT_JOIN,          //  room, nick
    FORMAT_EVENT_LEAVE,         //  room, nick, text (the reason)
    FORMAT_EVENT_RENAME,        //  nick, target
    FORMAT_EVENT_PRIVATE_IN,    //  nick, text
    FORMAT_EVENT_PRIVATE_OUT,   //  nick, text
    FORMAT_EVENT_ROOMS,         //  entries, total, text (the filter)
    FORMAT_EVENT_MEMBERS,       //  room, entries, total
    FORMAT_EVENT_HISTORY,       //  room, time_ms, seq, action, nick, text
    FORMAT_EVENT_HISTORY_END,   //  room, count, join
    FORMAT_EVENT_MISSED         //  room, count
} format_event_kind_t;

typedef struct {
    format_event_kind_t kind;
    const char *room;           //  fields as the kind says; borrowed from
    const char *nick;           //  the format_* call's arguments
    const char *text;
    const char *target;
    int64_t time_ms;            //  history: when it was said (ms since 1970)
    uint64_t seq;               //  history: its room sequence number
    uint64_t count;             //  history end, missed: how many
    uint64_t total;             //  rooms, members: how many in all
    bool flag;                  //  history: an action; history end: a join's
    wire_entry_t *entries;      //  rooms, members: the listed ones (sorted)
    size_t entry_count;
} format_event_t;

//  Create an empty line buffer. Returns NULL on allocation failure.
format_t *
    format_new (void);

//  Destroy the buffer; NULL-safe, sets *self_p to NULL.
void
    format_destroy (format_t **self_p);

//  The current line (CRLF included, also NUL-terminated) and its size in
//  bytes (NUL not counted). Borrowed until the next format_* call.
const char *
    format_data (format_t *self);
size_t
    format_size (format_t *self);

//  The event the last format_* call recorded. Borrowed.
const format_event_t *
    format_event (format_t *self);

//  The last line in JSON form (one object per line, CRLF-ended), rendered
//  on the first call after a format_* call. Its event's strings are the
//  caller's: ask (or format_write) before they change, as every caller
//  that writes right after formatting does. Borrowed, like format_data.
const char *
    format_json_data (format_t *self, size_t *size_p);

//  Write the last line to client in the form it reads (client_write).
//  Returns client_write's result.
int
    format_write (format_t *self, client_t *client);

//  The form a client reads: true for JSON events.
bool
    format_client_json (client_t *client);

//  Published room traffic.
//  "[room] nick: text"
size_t
    format_chat (format_t *self, const char *room, const char *nick, const char *text);
//  "[room] * nick text"
size_t
    format_emote (format_t *self, const char *room, const char *nick, const char *text);
//  History (docs/PROTOCOL.md): "[room HH:MM] nick: text", or for an
//  action "[room HH:MM] * nick text"; the time is UTC, with the date in
//  front ("[room 2026-11-30 14:02] ...") when it is not today's (now_ms).
size_t
    format_history (format_t *self, const char *room, int64_t time_ms, int64_t now_ms,
                    uint64_t seq, bool action, const char *nick, const char *text);
//  The end of a join's replay, "* end of history (/history more for older
//  lines)"; of a /history page, "* end of history page (...)" or, for an
//  empty one, "* no older history in #room".
size_t
    format_history_end (format_t *self, const char *room, uint64_t count, bool join);
//  "* nick joined #room"
size_t
    format_joined (format_t *self, const char *room, const char *nick);
//  "* nick left #room (reason)", or without " (reason)" when reason is empty
size_t
    format_left (format_t *self, const char *room, const char *nick, const char *reason);
//  "* nick is now known as target"
size_t
    format_renamed (format_t *self, const char *nick, const char *target);
//  "* text" (server notice, reconnect notices, ...)
size_t
    format_notice (format_t *self, const char *text);
//  "! text" (errors and warnings for one client)
size_t
    format_error (format_t *self, const char *text);

//  Replies.
//  "[pm from nick] text"
size_t
    format_private (format_t *self, const char *nick, const char *text);
//  "[pm to nick] text"
size_t
    format_private_sent (format_t *self, const char *nick, const char *text);
//  The room list, several lines: "* rooms (TOTAL):" (or, for a filter,
//  "* rooms matching \"rust\" (TOTAL):"), then one line per room,
//  "*   #rust  12 members", biggest first, then by name (sorts entries in
//  place), then "* ... and M more rooms" when total is more than count.
//  No room at all: "* no rooms" / "* no rooms matching \"rust\"".
size_t
    format_room_list (format_t *self, wire_entry_t *entries, size_t count,
                      uint64_t total, const char *filter);
//  "* #room (TOTAL): alice, bob", sorted by name (sorts entries in place),
//  ending ", ... and M more" when total is more than count.
size_t
    format_who_list (format_t *self, const char *room, wire_entry_t *entries,
                     size_t count, uint64_t total);

//  Gateway-made lines.
//  The two welcome lines: "* Welcome to zchat, NICK! You are in #ROOM."
//  then the command list.
size_t
    format_welcome (format_t *self, const char *nick, const char *room);
//  /help. Without a topic (topic_size 0): the commands, one line each
//  ("*   /join <room>      leave your room and enter another"). With one
//  ("join" or "/join", not NUL-terminated): that command's usage and what
//  it does, then an example. An unknown topic gets
//  "! unknown command: TOPIC (try /help)".
size_t
    format_help (format_t *self, const char *topic, size_t topic_size);
//  "! usage: /join <room>" for usage = "/join <room>"
size_t
    format_usage (format_t *self, const char *usage);
//  "! unknown command: /foo (try /help)"; verb is not NUL-terminated
size_t
    format_unknown_command (format_t *self, const char *verb, size_t verb_size);
//  "! invalid nickname: REASON" / "! invalid room name: REASON"
size_t
    format_invalid_nick (format_t *self, const char *reason);
size_t
    format_invalid_room (format_t *self, const char *reason);
//  "! you are already in #room"
size_t
    format_already_in (format_t *self, const char *room);
//  "! join to #room timed out, try again"
size_t
    format_join_timeout (format_t *self, const char *room);
//  "! missed N messages in #room"
size_t
    format_missed (format_t *self, uint64_t count, const char *room);
//  "* your nickname is now NICK"
size_t
    format_nick_now (format_t *self, const char *nick);

//  Fixed texts, for format_notice / format_error.
#define FORMAT_BYE              "Bye!"
#define FORMAT_LOST_ROUTER      "lost contact with the server; reconnecting..."
#define FORMAT_BUSY             "server busy, try again later"
#define FORMAT_ROUTER_BACK      "reconnected to the server"
#define FORMAT_SHUTTING_DOWN    "This gateway is shutting down; please reconnect."
#define FORMAT_LOGIN_TIMEOUT    "login timed out, try again later"
#define FORMAT_RESYNC_TIMEOUT   "the server has not answered yet; still trying"

#endif

/*  =========================================================================
    format_json.c - the JSON form of what a client sees (zchat.v1.json)

    One function per shape, each a handful of json_* calls; strings are
    sanitised and escaped by json.c, so a field from anywhere (the router,
    another gateway's user) cannot break out of its string or send a
    control character. The list events carry the entries in the order
    the text form sorted them (format.c sorts before it records).
    =========================================================================
*/
#include "format_json.h"

#define FORMAT_JSON_LINE_END    "\r\n"
#define FORMAT_JSON_PREFIX      2       //  "* " or "! " before a line's text

static void
s_type (json_t *json, const char *type)
{
    json_object_start (json);
    json_key (json, "type");
    json_string (json, type);
}

static void
s_field (json_t *json, const char *key, const char *value)
{
    json_key (json, key);
    json_string (json, value);
}

static void
s_number (json_t *json, const char *key, uint64_t value)
{
    json_key (json, key);
    json_number (json, value);
}

static void
s_end (json_t *json)
{
    json_object_end (json);
    json_raw (json, FORMAT_JSON_LINE_END, strlen (FORMAT_JSON_LINE_END));
}

//  "* text" is a notice, "! text" an error: one object per line.
static void
s_lines (json_t *json, const char *text, size_t size)
{
    size_t offset = 0;
    while (offset < size) {
        const char *end = (const char *) memchr (text + offset, '\n', size - offset);
        size_t next = end? (size_t) (end - text) + 1: size;
        size_t length = (end? (size_t) (end - text): size) - offset;
        const char *line = text + offset;
        if (length > 0 && line [length - 1] == '\r')
            length--;
        bool error = length > 0 && line [0] == '!';
        bool prefixed = length >= FORMAT_JSON_PREFIX && (line [0] == '!' || line [0] == '*')
                     && line [1] == ' ';
        s_type (json, error? "error": "notice");
        json_key (json, "text");
        if (prefixed)
            json_stringn (json, line + FORMAT_JSON_PREFIX, length - FORMAT_JSON_PREFIX);
        else
            json_stringn (json, line, length);
        s_end (json);
        offset = next;
    }
}

static void
s_rooms (json_t *json, const format_event_t *event)
{
    s_type (json, "rooms");
    s_field (json, "filter", event->text);
    s_number (json, "total", event->total);
    json_key (json, "rooms");
    json_array_start (json);
    for (size_t index = 0; index < event->entry_count; index++) {
        json_object_start (json);
        s_field (json, "name", event->entries [index].name);
        s_number (json, "members", event->entries [index].count);
        json_object_end (json);
    }
    json_array_end (json);
    s_end (json);
}

static void
s_members (json_t *json, const format_event_t *event)
{
    s_type (json, "members");
    s_field (json, "room", event->room);
    s_number (json, "total", event->total);
    json_key (json, "members");
    json_array_start (json);
    for (size_t index = 0; index < event->entry_count; index++)
        json_string (json, event->entries [index].name);
    json_array_end (json);
    s_end (json);
}

static void
s_history (json_t *json, const format_event_t *event)
{
    s_type (json, "history");
    s_field (json, "room", event->room);
    s_number (json, "time", event->time_ms > 0? (uint64_t) event->time_ms: 0);
    s_number (json, "seq", event->seq);
    json_key (json, "action");
    json_bool (json, event->flag);
    s_field (json, "nick", event->nick);
    s_field (json, "text", event->text);
    s_end (json);
}

//  chat and action: room, nick, text
static void
s_said (json_t *json, const char *type, const format_event_t *event)
{
    s_type (json, type);
    s_field (json, "room", event->room);
    s_field (json, "nick", event->nick);
    s_field (json, "text", event->text);
    s_end (json);
}

//  private, either way: direction, nick, text
static void
s_private (json_t *json, const char *direction, const format_event_t *event)
{
    s_type (json, "private");
    s_field (json, "direction", direction);
    s_field (json, "nick", event->nick);
    s_field (json, "text", event->text);
    s_end (json);
}

void
format_json (json_t *json, const format_event_t *event, const char *text, size_t size)
{
    assert (json);
    assert (event);
    json_reset (json);
    switch (event->kind) {
        case FORMAT_EVENT_WELCOME:
            s_type (json, "welcome");
            s_field (json, "nick", event->nick);
            s_field (json, "room", event->room);
            s_end (json);
            break;
        case FORMAT_EVENT_NICK:
            s_type (json, "nick");
            s_field (json, "nick", event->nick);
            s_end (json);
            break;
        case FORMAT_EVENT_CHAT:
            s_said (json, "chat", event);
            break;
        case FORMAT_EVENT_ACTION:
            s_said (json, "action", event);
            break;
        case FORMAT_EVENT_JOIN:
            s_type (json, "join");
            s_field (json, "room", event->room);
            s_field (json, "nick", event->nick);
            s_end (json);
            break;
        case FORMAT_EVENT_LEAVE:
            s_type (json, "leave");
            s_field (json, "room", event->room);
            s_field (json, "nick", event->nick);
            s_field (json, "reason", event->text);
            s_end (json);
            break;
        case FORMAT_EVENT_RENAME:
            s_type (json, "rename");
            s_field (json, "nick", event->nick);
            s_field (json, "to", event->target);
            s_end (json);
            break;
        case FORMAT_EVENT_PRIVATE_IN:
            s_private (json, "in", event);
            break;
        case FORMAT_EVENT_PRIVATE_OUT:
            s_private (json, "out", event);
            break;
        case FORMAT_EVENT_ROOMS:
            s_rooms (json, event);
            break;
        case FORMAT_EVENT_MEMBERS:
            s_members (json, event);
            break;
        case FORMAT_EVENT_HISTORY:
            s_history (json, event);
            break;
        case FORMAT_EVENT_HISTORY_END:
            s_type (json, "history_end");
            s_field (json, "room", event->room);
            s_number (json, "count", event->count);
            json_key (json, "join");
            json_bool (json, event->flag);
            s_end (json);
            break;
        case FORMAT_EVENT_MISSED:
            s_type (json, "missed");
            s_field (json, "room", event->room);
            s_number (json, "count", event->count);
            s_end (json);
            break;
        case FORMAT_EVENT_LINES:
        default:
            s_lines (json, text, size);
            break;
    }
}

/*  =========================================================================
    format.c - every line a client sees, exactly as docs/PROTOCOL.md shows

    Lines are assembled by appending pieces into one growable buffer that
    the gateway reuses for every message. Appending is plain memcpy, so a
    published line costs a few copies once, however many members get it.

    This is also the one place where what others sent becomes bytes on a
    terminal, so every piece is sanitised on the way in (s_textn): the
    gateway checks its own clients' lines, but a field from the router or
    a rogue peer (nick, text, room, reason, target) may hold anything. A
    TAB becomes a space; every other control character - C0, DEL, C1,
    the bidi controls and separators text.h names - and each byte of
    invalid UTF-8 becomes U+FFFD. The only control bytes a client ever
    gets are the CRLF that ends each line (and telnet negotiation).
    =========================================================================
*/
#include "format.h"
#include "format_json.h"
#include "client.h"
#include "json.h"
#include "strbuf.h"
#include "text.h"
#include <time.h>

#define FORMAT_INITIAL_SIZE     8192    //  fits any single chat line
#define FORMAT_NUMBER_MAX       24      //  digits of a uint64_t, with room to spare
#define FORMAT_MS_PER_S         1000
#define FORMAT_STAMP_MAX        32      //  "YYYY-MM-DD HH:MM" and its NUL, with room
#define FORMAT_COMMANDS \
    "Commands: /join <room>, /nick <name>, /rooms, /who, /msg <nick> <text>, " \
    "/me <action>, /help, /quit"
#define FORMAT_HELP_TITLE   "* Commands (/help <command> tells more):"
#define FORMAT_HELP_CHAT    "* Any other line is said to your room; " \
                            "start it with // to say a line that begins with /."
#define FORMAT_LIST_INDENT  "*   "  //  a list item under its title line
#define FORMAT_COLUMN_GAP   2       //  spaces between two columns of a list

struct _format_t {
    strbuf_t line;          //  the line, NUL-terminated
    format_event_t event;   //  what the line says, for the JSON form
    json_t *json;           //  the JSON form, once asked for
    bool json_done;         //  json holds this event's form
};

format_t *
format_new (void)
{
    format_t *self = (format_t *) zmalloc (sizeof (format_t));
    if (!self)
        return NULL;
    strbuf_init (&self->line, FORMAT_INITIAL_SIZE);
    self->json = json_new ();
    return self;
}

void
format_destroy (format_t **self_p)
{
    assert (self_p);
    format_t *self = *self_p;
    if (self) {
        json_destroy (&self->json);
        strbuf_fini (&self->line);
        free (self);
        *self_p = NULL;
    }
}

const char *
format_data (format_t *self)
{
    assert (self);
    return self->line.data;
}

size_t
format_size (format_t *self)
{
    assert (self);
    return self->line.size;
}

static void
s_sink (void *arg, const char *piece, size_t size)
{
    strbuf_append (&((format_t *) arg)->line, piece, size);
}

//  Append size bytes of text from anywhere, sanitised (see the top).
static void
s_textn (format_t *self, const char *text, size_t size)
{
    text_sanitize (text, size, s_sink, self);
}

static void
s_text (format_t *self, const char *text)
{
    if (text)
        s_textn (self, text, strlen (text));
}

static void
s_number (format_t *self, uint64_t number)
{
    char digits [FORMAT_NUMBER_MAX];
    int size = snprintf (digits, sizeof (digits), "%" PRIu64, number);
    strbuf_append (&self->line, digits, (size_t) size);
}

//  A new line: empty, and its event only text until s_begin says more.
static void
s_start (format_t *self)
{
    strbuf_reset (&self->line);
    memset (&self->event, 0, sizeof (self->event));
    self->json_done = false;
}

//  A new line that records event for the JSON form.
static void
s_begin (format_t *self, const format_event_t *event)
{
    s_start (self);
    self->event = *event;
}

const format_event_t *
format_event (format_t *self)
{
    assert (self);
    return &self->event;
}

const char *
format_json_data (format_t *self, size_t *size_p)
{
    assert (self);
    assert (size_p);
    if (!self->json_done) {
        format_json (self->json, &self->event, self->line.data, self->line.size);
        self->json_done = true;
    }
    *size_p = json_size (self->json);
    return json_data (self->json);
}

bool
format_client_json (client_t *client)
{
    return (client_transport_flags (client) & TRANSPORT_JSON) != 0;
}

int
format_write (format_t *self, client_t *client)
{
    assert (self);
    assert (client);
    if (!format_client_json (client))
        return client_write (client, self->line.data, self->line.size);
    size_t size;
    const char *data = format_json_data (self, &size);
    return client_write (client, data, size);
}

static size_t
s_finish (format_t *self)
{
    strbuf_append (&self->line, FORMAT_LINE_END, strlen (FORMAT_LINE_END));
    return self->line.size;
}

size_t
format_chat (format_t *self, const char *room, const char *nick, const char *text)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_CHAT, .room = room, .nick = nick, .text = text });
    s_text (self, "[");
    s_text (self, room);
    s_text (self, "] ");
    s_text (self, nick);
    s_text (self, ": ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_emote (format_t *self, const char *room, const char *nick, const char *text)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_ACTION, .room = room, .nick = nick, .text = text });
    s_text (self, "[");
    s_text (self, room);
    s_text (self, "] * ");
    s_text (self, nick);
    s_text (self, " ");
    s_text (self, text);
    return s_finish (self);
}

//  "[room HH:MM] " for a time of today (UTC), "[room YYYY-MM-DD HH:MM] "
//  for an older one.
static void
s_history_prefix (format_t *self, const char *room, int64_t time_ms, int64_t now_ms)
{
    time_t when = (time_t) (time_ms / FORMAT_MS_PER_S);
    time_t now = (time_t) (now_ms / FORMAT_MS_PER_S);
    struct tm said, today;
    gmtime_r (&when, &said);
    gmtime_r (&now, &today);
    bool same_day = said.tm_year == today.tm_year && said.tm_yday == today.tm_yday;
    char stamp [FORMAT_STAMP_MAX];
    strftime (stamp, sizeof (stamp), same_day? "%H:%M": "%Y-%m-%d %H:%M", &said);
    s_text (self, "[");
    s_text (self, room);
    s_text (self, " ");
    s_text (self, stamp);
    s_text (self, "] ");
}

size_t
format_history (format_t *self, const char *room, int64_t time_ms, int64_t now_ms,
                uint64_t seq, bool action, const char *nick, const char *text)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_HISTORY, .room = room,
             .time_ms = time_ms, .seq = seq, .flag = action, .nick = nick, .text = text });
    s_history_prefix (self, room, time_ms, now_ms);
    if (action)
        s_text (self, "* ");
    s_text (self, nick);
    s_text (self, action? " ": ": ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_history_end (format_t *self, const char *room, uint64_t count, bool join)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_HISTORY_END, .room = room, .count = count, .flag = join });
    if (join)
        s_text (self, "* end of history (/history more for older lines)");
    else
    if (count > 0)
        s_text (self, "* end of history page (/history more for older lines)");
    else {
        s_text (self, "* no older history in #");
        s_text (self, room);
    }
    return s_finish (self);
}

size_t
format_joined (format_t *self, const char *room, const char *nick)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_JOIN, .room = room, .nick = nick });
    s_text (self, "* ");
    s_text (self, nick);
    s_text (self, " joined #");
    s_text (self, room);
    return s_finish (self);
}

size_t
format_left (format_t *self, const char *room, const char *nick, const char *reason)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_LEAVE, .room = room, .nick = nick, .text = reason });
    s_text (self, "* ");
    s_text (self, nick);
    s_text (self, " left #");
    s_text (self, room);
    if (reason && *reason) {
        s_text (self, " (");
        s_text (self, reason);
        s_text (self, ")");
    }
    return s_finish (self);
}

size_t
format_renamed (format_t *self, const char *nick, const char *target)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_RENAME, .nick = nick, .target = target });
    s_text (self, "* ");
    s_text (self, nick);
    s_text (self, " is now known as ");
    s_text (self, target);
    return s_finish (self);
}

size_t
format_notice (format_t *self, const char *text)
{
    assert (self);
    s_start (self);
    s_text (self, "* ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_error (format_t *self, const char *text)
{
    assert (self);
    s_start (self);
    s_text (self, "! ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_private (format_t *self, const char *nick, const char *text)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_PRIVATE_IN, .nick = nick, .text = text });
    s_text (self, "[pm from ");
    s_text (self, nick);
    s_text (self, "] ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_private_sent (format_t *self, const char *nick, const char *text)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_PRIVATE_OUT, .nick = nick, .text = text });
    s_text (self, "[pm to ");
    s_text (self, nick);
    s_text (self, "] ");
    s_text (self, text);
    return s_finish (self);
}

//  Names compare as the router sorts them: ignoring case, then by bytes.
static int
s_compare_names (const wire_entry_t *left, const wire_entry_t *right)
{
    const char *left_name = left->name? left->name: "";
    const char *right_name = right->name? right->name: "";
    int order = strcasecmp (left_name, right_name);
    return order? order: strcmp (left_name, right_name);
}

static int
s_compare_entries (const void *left, const void *right)
{
    return s_compare_names ((const wire_entry_t *) left, (const wire_entry_t *) right);
}

//  Rooms: the most members first, then by name.
static int
s_compare_rooms (const void *left, const void *right)
{
    const wire_entry_t *left_room = (const wire_entry_t *) left;
    const wire_entry_t *right_room = (const wire_entry_t *) right;
    if (left_room->count != right_room->count)
        return left_room->count > right_room->count? -1: 1;
    return s_compare_names (left_room, right_room);
}

static void
s_spaces (format_t *self, size_t count)
{
    while (count--)
        strbuf_append (&self->line, " ", 1);
}

static size_t
s_number_width (uint64_t number)
{
    char digits [FORMAT_NUMBER_MAX];
    return (size_t) snprintf (digits, sizeof (digits), "%" PRIu64, number);
}

//  " matching \"filter\"" when there is a filter.
static void
s_filter (format_t *self, const char *filter)
{
    if (filter && *filter) {
        s_text (self, " matching \"");
        s_text (self, filter);
        s_text (self, "\"");
    }
}

//  "N thing" or "N things".
static void
s_counted (format_t *self, uint64_t count, const char *thing)
{
    s_number (self, count);
    s_text (self, " ");
    s_text (self, thing);
    if (count != 1)
        s_text (self, "s");
}

size_t
format_room_list (format_t *self, wire_entry_t *entries, size_t count,
                  uint64_t total, const char *filter)
{
    assert (self);
    assert (entries || count == 0);
    if (count > 1)
        qsort (entries, count, sizeof (wire_entry_t), s_compare_rooms);
    total = MAX (total, (uint64_t) count);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_ROOMS, .entries = entries,
             .entry_count = count, .total = total, .text = filter });
    if (total == 0) {
        s_text (self, "* no rooms");
        s_filter (self, filter);
        return s_finish (self);
    }
    s_text (self, "* rooms");
    s_filter (self, filter);
    s_text (self, " (");
    s_number (self, total);
    s_text (self, "):");
    s_finish (self);
    //  Columns: names padded to the longest, counts aligned on the right
    size_t name_width = 0;
    size_t count_width = 0;
    for (size_t index = 0; index < count; index++) {
        name_width = MAX (name_width, strlen (entries [index].name? entries [index].name: ""));
        count_width = MAX (count_width, s_number_width (entries [index].count));
    }
    for (size_t index = 0; index < count; index++) {
        const char *name = entries [index].name? entries [index].name: "";
        s_text (self, FORMAT_LIST_INDENT "#");
        s_text (self, name);
        s_spaces (self, name_width - strlen (name) + FORMAT_COLUMN_GAP
                        + count_width - s_number_width (entries [index].count));
        s_counted (self, entries [index].count, "member");
        s_finish (self);
    }
    if (total > count) {
        s_text (self, "* ... and ");
        s_counted (self, total - count, "more room");
        s_finish (self);
    }
    return self->line.size;
}

size_t
format_who_list (format_t *self, const char *room, wire_entry_t *entries, size_t count,
                 uint64_t total)
{
    assert (self);
    assert (entries || count == 0);
    if (count > 1)
        qsort (entries, count, sizeof (wire_entry_t), s_compare_entries);
    total = MAX (total, (uint64_t) count);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_MEMBERS, .room = room,
             .entries = entries, .entry_count = count, .total = total });
    s_text (self, "* #");
    s_text (self, room);
    s_text (self, " (");
    s_number (self, total);
    s_text (self, "):");
    for (size_t index = 0; index < count; index++) {
        s_text (self, index? ", ": " ");
        s_text (self, entries [index].name);
    }
    if (total > count) {
        s_text (self, count? ", ... and ": " ... and ");
        s_number (self, total - count);
        s_text (self, " more");
    }
    return s_finish (self);
}

size_t
format_welcome (format_t *self, const char *nick, const char *room)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_WELCOME, .nick = nick, .room = room });
    s_text (self, "* Welcome to zchat, ");
    s_text (self, nick);
    s_text (self, "! You are in #");
    s_text (self, room);
    s_text (self, ".");
    s_finish (self);
    s_text (self, "* " FORMAT_COMMANDS);
    return s_finish (self);
}

//  The command list: usages padded to the longest, then the summaries.
static size_t
s_help_list (format_t *self)
{
    size_t width = 0;
    for (size_t index = 0; command_help_at (index); index++)
        width = MAX (width, strlen (command_help_at (index)->usage));
    s_start (self);
    s_text (self, FORMAT_HELP_TITLE);
    s_finish (self);
    const command_help_t *help;
    for (size_t index = 0; (help = command_help_at (index)); index++) {
        s_text (self, FORMAT_LIST_INDENT);
        s_text (self, help->usage);
        s_spaces (self, width - strlen (help->usage) + FORMAT_COLUMN_GAP);
        s_text (self, help->summary);
        s_finish (self);
    }
    s_text (self, FORMAT_HELP_CHAT);
    return s_finish (self);
}

size_t
format_help (format_t *self, const char *topic, size_t topic_size)
{
    assert (self);
    if (topic_size == 0)
        return s_help_list (self);
    const command_help_t *help = command_help_find (topic, topic_size);
    if (!help)
        return format_unknown_command (self, topic, topic_size);
    s_start (self);
    s_text (self, "* ");
    s_text (self, help->usage);
    s_text (self, ": ");
    s_text (self, help->detail);
    s_finish (self);
    s_text (self, "* example: ");
    s_text (self, help->example);
    return s_finish (self);
}

size_t
format_usage (format_t *self, const char *usage)
{
    assert (self);
    s_start (self);
    s_text (self, "! usage: ");
    s_text (self, usage);
    return s_finish (self);
}

size_t
format_unknown_command (format_t *self, const char *verb, size_t verb_size)
{
    assert (self);
    s_start (self);
    s_text (self, "! unknown command: ");
    s_textn (self, verb, verb_size);
    s_text (self, " (try /help)");
    return s_finish (self);
}

size_t
format_invalid_nick (format_t *self, const char *reason)
{
    assert (self);
    s_start (self);
    s_text (self, "! invalid nickname: ");
    s_text (self, reason);
    return s_finish (self);
}

size_t
format_invalid_room (format_t *self, const char *reason)
{
    assert (self);
    s_start (self);
    s_text (self, "! invalid room name: ");
    s_text (self, reason);
    return s_finish (self);
}

size_t
format_already_in (format_t *self, const char *room)
{
    assert (self);
    s_start (self);
    s_text (self, "! you are already in #");
    s_text (self, room);
    return s_finish (self);
}

size_t
format_join_timeout (format_t *self, const char *room)
{
    assert (self);
    s_start (self);
    s_text (self, "! join to #");
    s_text (self, room);
    s_text (self, " timed out, try again");
    return s_finish (self);
}

size_t
format_missed (format_t *self, uint64_t count, const char *room)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_MISSED, .room = room, .count = count });
    s_text (self, "! missed ");
    s_number (self, count);
    s_text (self, " messages in #");
    s_text (self, room);
    return s_finish (self);
}

size_t
format_nick_now (format_t *self, const char *nick)
{
    assert (self);
    s_begin (self, &(format_event_t) { .kind = FORMAT_EVENT_NICK, .nick = nick });
    s_text (self, "* your nickname is now ");
    s_text (self, nick);
    return s_finish (self);
}

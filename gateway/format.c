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
#include "text.h"

#define FORMAT_INITIAL_SIZE     8192    //  fits any single chat line
#define FORMAT_NUMBER_MAX       24      //  digits of a uint64_t, with room to spare
#define FORMAT_REPLACEMENT      "\xef\xbf\xbd"   //  U+FFFD, for what may not be shown
#define FORMAT_SPACE            ' '
#define FORMAT_ASCII_END        0x7F    //  DEL: printable ASCII is space .. '~'
#define FORMAT_COMMANDS \
    "Commands: /join <room>, /nick <name>, /rooms, /who, /msg <nick> <text>, " \
    "/me <action>, /help, /quit"

struct _format_t {
    char *data;             //  the line, NUL-terminated
    size_t size;            //  bytes in the line, NUL not counted
    size_t capacity;        //  bytes allocated
};

format_t *
format_new (void)
{
    format_t *self = (format_t *) zmalloc (sizeof (format_t));
    if (!self)
        return NULL;
    self->data = (char *) malloc (FORMAT_INITIAL_SIZE);
    if (!self->data) {
        free (self);
        return NULL;
    }
    self->capacity = FORMAT_INITIAL_SIZE;
    self->data [0] = 0;
    return self;
}

void
format_destroy (format_t **self_p)
{
    assert (self_p);
    format_t *self = *self_p;
    if (self) {
        free (self->data);
        free (self);
        *self_p = NULL;
    }
}

const char *
format_data (format_t *self)
{
    assert (self);
    return self->data;
}

size_t
format_size (format_t *self)
{
    assert (self);
    return self->size;
}

//  Append bytes, growing the buffer geometrically; keeps a NUL after them.
static void
s_append (format_t *self, const char *data, size_t size)
{
    if (self->size + size + 1 > self->capacity) {
        size_t capacity = self->capacity;
        while (self->size + size + 1 > capacity)
            capacity *= 2;
        char *grown = (char *) realloc (self->data, capacity);
        assert (grown);     //  out of memory: nothing sensible to do
        self->data = grown;
        self->capacity = capacity;
    }
    memcpy (self->data + self->size, data, size);
    self->size += size;
    self->data [self->size] = 0;
}

//  Append size bytes of text from anywhere, sanitised (see the top). Runs
//  of printable ASCII and of allowed UTF-8 are copied as they are.
static void
s_textn (format_t *self, const char *text, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) text;
    size_t start = 0;
    size_t index = 0;
    while (index < size) {
        if (bytes [index] >= FORMAT_SPACE && bytes [index] < FORMAT_ASCII_END) {
            index++;
            continue;
        }
        size_t length;
        text_char_t kind = text_char (bytes + index, size - index, &length);
        if (kind != TEXT_CHAR_PRINTABLE) {
            s_append (self, text + start, index - start);
            if (kind == TEXT_CHAR_TAB)
                s_append (self, " ", 1);
            else
                s_append (self, FORMAT_REPLACEMENT, strlen (FORMAT_REPLACEMENT));
            start = index + length;
        }
        index += length;
    }
    s_append (self, text + start, size - start);
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
    s_append (self, digits, (size_t) size);
}

static void
s_start (format_t *self)
{
    self->size = 0;
    self->data [0] = 0;
}

static size_t
s_finish (format_t *self)
{
    s_append (self, FORMAT_LINE_END, strlen (FORMAT_LINE_END));
    return self->size;
}

size_t
format_chat (format_t *self, const char *room, const char *nick, const char *text)
{
    assert (self);
    s_start (self);
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
    s_start (self);
    s_text (self, "[");
    s_text (self, room);
    s_text (self, "] * ");
    s_text (self, nick);
    s_text (self, " ");
    s_text (self, text);
    return s_finish (self);
}

size_t
format_joined (format_t *self, const char *room, const char *nick)
{
    assert (self);
    s_start (self);
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
    s_start (self);
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
    s_start (self);
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
    s_start (self);
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
    s_start (self);
    s_text (self, "[pm to ");
    s_text (self, nick);
    s_text (self, "] ");
    s_text (self, text);
    return s_finish (self);
}

//  Lists are shown sorted by name, whatever order the router sent.
static int
s_compare_entries (const void *left, const void *right)
{
    const char *left_name = ((const wire_entry_t *) left)->name;
    const char *right_name = ((const wire_entry_t *) right)->name;
    return strcmp (left_name? left_name: "", right_name? right_name: "");
}

size_t
format_room_list (format_t *self, wire_entry_t *entries, size_t count)
{
    assert (self);
    assert (entries || count == 0);
    if (count > 1)
        qsort (entries, count, sizeof (wire_entry_t), s_compare_entries);
    s_start (self);
    s_text (self, "* rooms (");
    s_number (self, count);
    s_text (self, "):");
    for (size_t index = 0; index < count; index++) {
        s_text (self, index? ", #": " #");
        s_text (self, entries [index].name);
        s_text (self, " ");
        s_number (self, entries [index].count);
    }
    return s_finish (self);
}

size_t
format_who_list (format_t *self, const char *room, wire_entry_t *entries, size_t count)
{
    assert (self);
    assert (entries || count == 0);
    if (count > 1)
        qsort (entries, count, sizeof (wire_entry_t), s_compare_entries);
    s_start (self);
    s_text (self, "* #");
    s_text (self, room);
    s_text (self, " (");
    s_number (self, count);
    s_text (self, "):");
    for (size_t index = 0; index < count; index++) {
        s_text (self, index? ", ": " ");
        s_text (self, entries [index].name);
    }
    return s_finish (self);
}

size_t
format_welcome (format_t *self, const char *nick, const char *room)
{
    assert (self);
    s_start (self);
    s_text (self, "* Welcome to zchat, ");
    s_text (self, nick);
    s_text (self, "! You are in #");
    s_text (self, room);
    s_text (self, ".");
    s_finish (self);
    s_text (self, "* " FORMAT_COMMANDS);
    return s_finish (self);
}

size_t
format_help (format_t *self)
{
    return format_notice (self, FORMAT_COMMANDS);
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
    s_start (self);
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
    s_start (self);
    s_text (self, "* your nickname is now ");
    s_text (self, nick);
    return s_finish (self);
}

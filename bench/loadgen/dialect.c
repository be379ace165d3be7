/*  =========================================================================
    dialect.c - the two client protocols the load generator speaks

    zchat (docs/PROTOCOL.md): the gateway greets with "* Welcome to zchat,
    NICK! ...", "/join rN" moves us, and "* NICK joined #rN" confirms it;
    a chat line is the text itself. IRC (for ngIRCd): NICK + USER, wait
    for numeric 001, "JOIN #rN", wait for our own JOIN echo, "PRIVMSG #rN
    :text", and answer PING with PONG. Everything else a server says is
    classified as "other" and ignored by the login logic; markers are found
    by marker.c, not here.
    =========================================================================
*/
#include "loadgen.h"

#define DIALECT_ZCHAT_WELCOME   "* Welcome to zchat, "
#define DIALECT_ZCHAT_ERROR     "! "
#define DIALECT_IRC_PING        "PING"
#define DIALECT_IRC_PONG        "PONG"
#define DIALECT_IRC_ERROR       "ERROR"
#define DIALECT_IRC_WELCOME     "001"
#define DIALECT_IRC_JOIN        "JOIN"
#define DIALECT_IRC_NUMERIC     3       //  digits of a numeric reply
#define DIALECT_IRC_NOMOTD      "422"   //  an error numeric that is only news
#define DIALECT_WORD_MAX        64      //  bytes of one IRC word we look at
#define DIALECT_TELNET_IAC      0xFF    //  telnet command: IAC verb option
#define DIALECT_TELNET_COMMAND  3

int
dialect_parse (const char *name, dialect_t *dialect)
{
    assert (name);
    if (streq (name, "zchat"))
        *dialect = DIALECT_ZCHAT;
    else
    if (streq (name, "irc"))
        *dialect = DIALECT_IRC;
    else
        return -1;
    return 0;
}

//  snprintf result as a length, -1 when it did not fit.
static int
s_fitted (int length, size_t size)
{
    return (length < 0 || (size_t) length >= size)? -1: length;
}

int
dialect_hello (dialect_t dialect, uint32_t index, char *nick, char *buffer, size_t size)
{
    if (dialect == DIALECT_ZCHAT) {
        //  The gateway names us; we learn the nick from the welcome.
        nick [0] = 0;
        if (size > 0)
            buffer [0] = 0;
        return 0;
    }
    snprintf (nick, DIALECT_NICK_MAX, "u%" PRIu32, index);
    return s_fitted (snprintf (buffer, size, "NICK %s\r\nUSER %s 0 * :zchat bench\r\n",
                               nick, nick), size);
}

int
dialect_join (dialect_t dialect, uint32_t room, char *buffer, size_t size)
{
    if (dialect == DIALECT_ZCHAT)
        return s_fitted (snprintf (buffer, size, "/join " DIALECT_ROOM_PREFIX "%" PRIu32 "\n",
                                   room), size);
    return s_fitted (snprintf (buffer, size, "JOIN #" DIALECT_ROOM_PREFIX "%" PRIu32 "\r\n",
                               room), size);
}

int
dialect_say (dialect_t dialect, uint32_t room, const char *text, size_t text_size,
             char *buffer, size_t size)
{
    int length;
    if (dialect == DIALECT_ZCHAT)
        length = snprintf (buffer, size, "%.*s\n", (int) text_size, text);
    else
        length = snprintf (buffer, size, "PRIVMSG #" DIALECT_ROOM_PREFIX "%" PRIu32 " :%.*s\r\n",
                           room, (int) text_size, text);
    return s_fitted (length, size);
}

static bool
s_starts_with (const char *line, size_t length, const char *prefix)
{
    size_t prefix_size = strlen (prefix);
    return length >= prefix_size && memcmp (line, prefix, prefix_size) == 0;
}

static dialect_line_t
s_classify_zchat (const char *line, size_t length, char *nick, uint32_t room)
{
    if (s_starts_with (line, length, DIALECT_ZCHAT_WELCOME)) {
        const char *start = line + strlen (DIALECT_ZCHAT_WELCOME);
        const char *bang = (const char *) memchr (start, '!', length - (size_t) (start - line));
        if (!bang || bang == start || bang - start >= DIALECT_NICK_MAX)
            return DIALECT_LINE_ERROR;
        memcpy (nick, start, (size_t) (bang - start));
        nick [bang - start] = 0;
        return DIALECT_LINE_WELCOME;
    }
    if (s_starts_with (line, length, DIALECT_ZCHAT_ERROR))
        return DIALECT_LINE_ERROR;
    if (nick [0]) {
        char expected [DIALECT_NICK_MAX + DIALECT_WORD_MAX];
        int size = snprintf (expected, sizeof (expected),
                             "* %s joined #" DIALECT_ROOM_PREFIX "%" PRIu32, nick, room);
        if (size > 0 && (size_t) size == length && memcmp (expected, line, length) == 0)
            return DIALECT_LINE_JOINED;
    }
    return DIALECT_LINE_OTHER;
}

//  Copy the next space-separated word of an IRC line into word; returns
//  the position after it.
static const char *
s_next_word (const char *cursor, const char *end, char *word)
{
    while (cursor < end && *cursor == ' ')
        cursor++;
    size_t size = 0;
    while (cursor < end && *cursor != ' ') {
        if (size < DIALECT_WORD_MAX - 1)
            word [size++] = *cursor;
        cursor++;
    }
    word [size] = 0;
    return cursor;
}

static dialect_line_t
s_classify_irc (const char *line, size_t length, const char *nick, uint32_t room,
                char *reply, size_t reply_size)
{
    const char *end = line + length;
    if (s_starts_with (line, length, DIALECT_IRC_PING)) {
        const char *rest = line + strlen (DIALECT_IRC_PING);
        int size = snprintf (reply, reply_size, DIALECT_IRC_PONG "%.*s\r\n",
                             (int) (end - rest), rest);
        return s_fitted (size, reply_size) < 0? DIALECT_LINE_OTHER: DIALECT_LINE_PING;
    }
    if (s_starts_with (line, length, DIALECT_IRC_ERROR))
        return DIALECT_LINE_ERROR;
    if (length == 0 || line [0] != ':')
        return DIALECT_LINE_OTHER;
    char prefix [DIALECT_WORD_MAX], command [DIALECT_WORD_MAX], argument [DIALECT_WORD_MAX];
    const char *cursor = s_next_word (line + 1, end, prefix);
    cursor = s_next_word (cursor, end, command);
    s_next_word (cursor, end, argument);
    if (streq (command, DIALECT_IRC_WELCOME))
        return DIALECT_LINE_WELCOME;
    if (strlen (command) == DIALECT_IRC_NUMERIC
    &&  (command [0] == '4' || command [0] == '5')
    &&  !streq (command, DIALECT_IRC_NOMOTD))
        return DIALECT_LINE_ERROR;
    if (streq (command, DIALECT_IRC_JOIN)) {
        size_t nick_size = strlen (nick);
        char channel [DIALECT_WORD_MAX];
        snprintf (channel, sizeof (channel), "#" DIALECT_ROOM_PREFIX "%" PRIu32, room);
        const char *joined = argument [0] == ':'? argument + 1: argument;
        if (strncmp (prefix, nick, nick_size) == 0 && prefix [nick_size] == '!'
        &&  streq (joined, channel))
            return DIALECT_LINE_JOINED;
    }
    return DIALECT_LINE_OTHER;
}

dialect_line_t
dialect_classify (dialect_t dialect, const char *line, size_t length, char *nick,
                  uint32_t room, char *reply, size_t reply_size)
{
    assert (line);
    assert (nick);
    if (dialect == DIALECT_ZCHAT) {
        //  The gateway's telnet offer (IAC WILL BINARY IAC DO BINARY) comes
        //  before its first line: skip it, as a telnet client would
        while (length >= DIALECT_TELNET_COMMAND
        &&     (unsigned char) line [0] == DIALECT_TELNET_IAC) {
            line += DIALECT_TELNET_COMMAND;
            length -= DIALECT_TELNET_COMMAND;
        }
        return s_classify_zchat (line, length, nick, room);
    }
    return s_classify_irc (line, length, nick, room, reply, reply_size);
}

/*  =========================================================================
    names.c - nickname and room name rules, shared by both tiers

    The gateway checks names to answer a client at once; the router checks
    them again because it never trusts a gateway's input.
    =========================================================================
*/
#include "names.h"

static bool
s_is_name_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

//  Length and character-set check common to both kinds of names.
static names_status_t
s_check (const char *name, size_t max)
{
    size_t size = strlen (name);
    if (size == 0)
        return NAMES_EMPTY;
    if (size > max)
        return NAMES_TOO_LONG;
    for (size_t index = 0; index < size; index++)
        if (!s_is_name_char (name [index]))
            return NAMES_BAD_CHARACTER;
    return NAMES_OK;
}

names_status_t
names_check_nick (const char *nick)
{
    assert (nick);
    names_status_t status = s_check (nick, CHAT_NICK_MAX);
    if (status == NAMES_OK && ((nick [0] >= '0' && nick [0] <= '9') || nick [0] == '-'))
        status = NAMES_BAD_START;
    return status;
}

names_status_t
names_check_chosen_nick (const char *nick)
{
    assert (nick);
    names_status_t status = names_check_nick (nick);
    if (status == NAMES_OK
    &&  strncasecmp (nick, NAMES_GUEST_PREFIX, strlen (NAMES_GUEST_PREFIX)) == 0)
        status = NAMES_RESERVED;
    return status;
}

names_status_t
names_canonical_room (const char *name, char *room)
{
    assert (name);
    assert (room);
    if (*name == '#')
        name++;
    names_status_t status = s_check (name, CHAT_ROOM_MAX);
    if (status != NAMES_OK) {
        *room = 0;
        return status;
    }
    size_t index;
    for (index = 0; name [index]; index++)
        room [index] = (char) tolower ((unsigned char) name [index]);
    room [index] = 0;
    return NAMES_OK;
}

void
names_nick_key (const char *nick, char *key)
{
    assert (nick);
    assert (key);
    size_t index;
    for (index = 0; nick [index] && index < CHAT_NICK_MAX; index++)
        key [index] = (char) tolower ((unsigned char) nick [index]);
    key [index] = 0;
}

const char *
names_status_text (names_status_t status)
{
    switch (status) {
        case NAMES_OK:
            return "ok";
        case NAMES_EMPTY:
            return "empty";
        case NAMES_TOO_LONG:
            return "too long (max " CHAT_NAME_MAX_TEXT " characters)";
        case NAMES_BAD_CHARACTER:
            return "bad character (allowed: letters, digits, _ and -)";
        case NAMES_BAD_START:
            return "must start with a letter or _";
        case NAMES_RESERVED:
            return "names starting with " NAMES_GUEST_PREFIX " are given out by the server only";
    }
    return "invalid";
}

/*  =========================================================================
    names.h - rules for nicknames and room names, shared by both tiers

    Nicknames: 1..CHAT_NICK_MAX bytes of ASCII letters, digits, '_' and
    '-', starting with a letter or '_'. Case is kept for display, but two
    nicknames that differ only in case are the same nickname. Nicknames
    starting with NAMES_GUEST_PREFIX (any case) are the router's guest
    names: a user cannot pick one, so a guest name always means a guest.
    Room names: 1..CHAT_ROOM_MAX bytes of ASCII letters, digits, '_' and
    '-'; one leading '#' is accepted and dropped; case-insensitive, kept
    in lower case. So no room name contains WIRE_TOPIC_END or '$'.
    =========================================================================
*/
#ifndef NAMES_H_INCLUDED
#define NAMES_H_INCLUDED

#include "chat.h"

//  Both maxima are the same, so one reason text serves both.
#define CHAT_NAME_MAX_TEXT "32"
_Static_assert (CHAT_NICK_MAX == 32 && CHAT_ROOM_MAX == 32, "update CHAT_NAME_MAX_TEXT");

#define NAMES_GUEST_PREFIX  "guest-"    //  generated nicknames: "guest-4821"

typedef enum {
    NAMES_OK = 0,
    NAMES_EMPTY,            //  no characters
    NAMES_TOO_LONG,         //  over the maximum
    NAMES_BAD_CHARACTER,    //  outside the allowed set
    NAMES_BAD_START,        //  nickname starts with a digit or '-'
    NAMES_RESERVED          //  nickname a user may not pick (guest prefix)
} names_status_t;

//  Check a nickname. Returns NAMES_OK or why not.
names_status_t
    names_check_nick (const char *nick);

//  Check a nickname a user picks (/nick): names_check_nick, and not a
//  guest name (NAMES_GUEST_PREFIX in any case; NAMES_RESERVED).
names_status_t
    names_check_chosen_nick (const char *nick);

//  Check a room name and write its canonical form (no '#', lower case)
//  into room (CHAT_ROOM_MAX + 1 bytes). Returns NAMES_OK or why not.
names_status_t
    names_canonical_room (const char *name, char *room);

//  Fold a nickname for comparison (lower case) into key
//  (CHAT_NICK_MAX + 1 bytes). The nick must already be valid.
void
    names_nick_key (const char *nick, char *key);

//  A short reason for people, e.g. "too long (max 32)". Never NULL.
const char *
    names_status_text (names_status_t status);

#endif

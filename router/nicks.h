/*  =========================================================================
    nicks.h - case-insensitive unique nicknames

    The router is the one place that decides who owns a nickname. A nick
    is stored under its folded key (names_nick_key), so "Bob" and "bob"
    are the same nickname; the value is the owning session id. Guest
    nicknames ("guest-4821") are picked here too, so they are unique by
    construction.
    =========================================================================
*/
#ifndef NICKS_H_INCLUDED
#define NICKS_H_INCLUDED

#include "chat.h"

typedef struct _nicks_t nicks_t;

#define NICKS_GUEST_PREFIX      "guest-"
#define NICKS_GUEST_DIGITS      4       //  guest-NNNN at first
#define NICKS_GUEST_TRIES       32      //  random picks per width before widening

//  Create an empty registry; guest numbers come from a random seed.
nicks_t *
    nicks_new (void);

//  Destroy the registry; NULL-safe, sets *self_p to NULL.
void
    nicks_destroy (nicks_t **self_p);

//  Give a valid nickname to session_id (non-zero). Returns 0, or -1 if
//  the nickname (ignoring case) is already taken.
int
    nicks_insert (nicks_t *self, const char *nick, uint64_t session_id);

//  Session id owning nick (ignoring case), or 0 if it is free.
uint64_t
    nicks_lookup (nicks_t *self, const char *nick);

//  Free a nickname. Returns 0, or -1 if nobody held it.
int
    nicks_remove (nicks_t *self, const char *nick);

//  Move session_id from old_nick to new_nick. Changing only the case of
//  one's own nickname is allowed. Returns 0, or -1 if new_nick belongs
//  to another session (nothing changes then).
int
    nicks_rename (nicks_t *self, const char *old_nick, const char *new_nick,
                  uint64_t session_id);

//  Write a free guest nickname into nick (CHAT_NICK_MAX + 1 bytes):
//  "guest-" and NICKS_GUEST_DIGITS random digits, more digits when the
//  short ones are crowded. Does not reserve it.
void
    nicks_guest (nicks_t *self, char *nick);

//  Number of nicknames held.
size_t
    nicks_size (nicks_t *self);

#endif

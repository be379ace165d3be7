/*  =========================================================================
    nicks.h - case-insensitive unique nicknames

    The router is the one place that decides who owns a nickname. A nick
    is keyed folded (names_nick_key's folding), so "Bob" and "bob" are
    the same nickname; the entry is the owning session, whose own nick is
    the key, so holding a nickname allocates nothing. Guest
    nicknames ("guest-4821") are picked here too, so they are unique by
    construction.
    =========================================================================
*/
#ifndef NICKS_H_INCLUDED
#define NICKS_H_INCLUDED

#include "chat.h"
#include "sessions.h"
#include "names.h"

typedef struct _nicks_t nicks_t;

#define NICKS_GUEST_PREFIX      NAMES_GUEST_PREFIX
#define NICKS_GUEST_DIGITS      4       //  guest-NNNN at first
#define NICKS_GUEST_TRIES       32      //  random picks per width before widening

//  Create an empty registry; guest numbers come from a random seed.
nicks_t *
    nicks_new (void);

//  Destroy the registry; NULL-safe, sets *self_p to NULL.
void
    nicks_destroy (nicks_t **self_p);

//  Give session the valid nickname nick: sets session->nick and its key.
//  The session must hold no nickname yet. Returns 0, or -1 if the
//  nickname (ignoring case) is taken (the session is left unchanged).
int
    nicks_insert (nicks_t *self, session_t *session, const char *nick);

//  The session owning nick (ignoring case), or NULL if it is free.
session_t *
    nicks_lookup (nicks_t *self, const char *nick);

//  Free the session's nickname (its nick stays as it was). Returns 0, or
//  -1 if the session held none.
int
    nicks_remove (nicks_t *self, session_t *session);

//  Move session to new_nick (sets session->nick). Changing only the case
//  of one's own nickname is allowed. Returns 0, or -1 if new_nick
//  belongs to another session (nothing changes then).
int
    nicks_rename (nicks_t *self, session_t *session, const char *new_nick);

//  Write a free guest nickname into nick (CHAT_NICK_MAX + 1 bytes):
//  "guest-" and NICKS_GUEST_DIGITS random digits, more digits when the
//  short ones are crowded. Does not reserve it.
void
    nicks_guest (nicks_t *self, char *nick);

//  Number of nicknames held.
size_t
    nicks_size (nicks_t *self);

#endif

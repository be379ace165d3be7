/*  =========================================================================
    nicks.c - case-insensitive unique nicknames

    A ptable (include/ptable.h) of sessions keyed by their nick, folded
    as names_nick_key folds (ASCII case, the first CHAT_NICK_MAX bytes)
    while hashing and matching, so an entry is one pointer in the table
    and the session keeps no folded copy. Callers pass nicknames as
    typed.
    =========================================================================
*/
#include "nicks.h"
#include "names.h"
#include "ptable.h"
#include <sys/random.h>

#define NICKS_FNV_OFFSET        0xcbf29ce484222325ULL   //  FNV-1a 64
#define NICKS_FNV_PRIME         0x100000001b3ULL
#define NICKS_DECIMAL_BASE      10
#define NICKS_XORSHIFT_A        13      //  xorshift64 triple (Marsaglia 2003)
#define NICKS_XORSHIFT_B        7
#define NICKS_XORSHIFT_C        17
#define NICKS_GUEST_WIDTH_MAX   (CHAT_NICK_MAX - (int) sizeof (NICKS_GUEST_PREFIX) + 1)

struct _nicks_t {
    ptable_t *owners;       //  folded session->nick -> session
    uint64_t random;        //  xorshift64 state for guest numbers
};

//  FNV-1a of the folded nick (names_nick_key's folding, without the copy)
static uint64_t
s_hash_nick (const char *nick)
{
    uint64_t value = NICKS_FNV_OFFSET;
    for (size_t index = 0; nick [index] && index < CHAT_NICK_MAX; index++)
        value = (value ^ (unsigned char) tolower ((unsigned char) nick [index])) * NICKS_FNV_PRIME;
    return value;
}

static uint64_t
s_hash (const void *item)
{
    return s_hash_nick (((const session_t *) item)->nick);
}

//  True if the session's nick and key fold to the same nickname
static bool
s_match (const void *item, const void *key)
{
    const char *nick = ((const session_t *) item)->nick;
    const char *other = (const char *) key;
    for (size_t index = 0; index < CHAT_NICK_MAX; index++) {
        if (tolower ((unsigned char) nick [index]) != tolower ((unsigned char) other [index]))
            return false;
        if (!nick [index])
            return true;
    }
    return true;
}

nicks_t *
nicks_new (void)
{
    nicks_t *self = (nicks_t *) zmalloc (sizeof (nicks_t));
    assert (self);
    self->owners = ptable_new (s_hash);
    assert (self->owners);
    if (getrandom (&self->random, sizeof (self->random), 0) != sizeof (self->random))
        self->random = (uint64_t) zclock_time () ^ (uint64_t) getpid ();
    if (self->random == 0)
        self->random = 1;       //  xorshift never leaves 0
    return self;
}

void
nicks_destroy (nicks_t **self_p)
{
    assert (self_p);
    nicks_t *self = *self_p;
    if (!self)
        return;
    ptable_destroy (&self->owners);
    free (self);
    *self_p = NULL;
}

int
nicks_insert (nicks_t *self, session_t *session, const char *nick)
{
    assert (self);
    assert (session);
    assert (nick);
    assert (!session->nick_held);
    assert (strlen (nick) <= CHAT_NICK_MAX);
    if (nicks_lookup (self, nick))
        return -1;
    snprintf (session->nick, sizeof (session->nick), "%s", nick);
    int rc = ptable_insert (self->owners, session);
    assert (rc == 0);
    session->nick_held = true;
    return 0;
}

session_t *
nicks_lookup (nicks_t *self, const char *nick)
{
    assert (self);
    assert (nick);
    return (session_t *) ptable_lookup (self->owners, s_hash_nick (nick), s_match, nick);
}

int
nicks_remove (nicks_t *self, session_t *session)
{
    assert (self);
    assert (session);
    if (!session->nick_held)
        return -1;
    int rc = ptable_remove (self->owners, session);
    assert (rc == 0);
    session->nick_held = false;
    return 0;
}

int
nicks_rename (nicks_t *self, session_t *session, const char *new_nick)
{
    assert (self);
    assert (session);
    assert (new_nick);
    session_t *owner = nicks_lookup (self, new_nick);
    if (owner && owner != session)
        return -1;
    if (owner == session) {     //  only the case changes: same key, same hash
        snprintf (session->nick, sizeof (session->nick), "%s", new_nick);
        return 0;
    }
    nicks_remove (self, session);
    return nicks_insert (self, session, new_nick);
}

static uint64_t
s_next_random (nicks_t *self)
{
    //  xorshift64 (Marsaglia): fast, and good enough to spread guests
    uint64_t value = self->random;
    value ^= value << NICKS_XORSHIFT_A;
    value ^= value >> NICKS_XORSHIFT_B;
    value ^= value << NICKS_XORSHIFT_C;
    self->random = value;
    return value;
}

void
nicks_guest (nicks_t *self, char *nick)
{
    assert (self);
    assert (nick);
    for (int width = NICKS_GUEST_DIGITS; ; width++) {
        //  Past the widest guest number a nick can hold, keep trying
        //  the widest: 10^26 numbers cannot all be taken.
        if (width > NICKS_GUEST_WIDTH_MAX)
            width = NICKS_GUEST_WIDTH_MAX;
        uint64_t modulus = 1;
        for (int digit = 0; digit < width && modulus < UINT64_MAX / NICKS_DECIMAL_BASE; digit++)
            modulus *= NICKS_DECIMAL_BASE;
        for (int attempt = 0; attempt < NICKS_GUEST_TRIES; attempt++) {
            snprintf (nick, CHAT_NICK_MAX + 1, NICKS_GUEST_PREFIX "%0*" PRIu64,
                      width, s_next_random (self) % modulus);
            if (!nicks_lookup (self, nick))
                return;
        }
    }
}

size_t
nicks_size (nicks_t *self)
{
    assert (self);
    return ptable_size (self->owners);
}

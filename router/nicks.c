/*  =========================================================================
    nicks.c - case-insensitive unique nicknames

    A zhashx from folded nickname to session id. Folding happens on every
    call, into a stack buffer, so callers can pass nicknames as typed.
    =========================================================================
*/
#include "nicks.h"
#include "names.h"
#include "ids.h"
#include <sys/random.h>

#define NICKS_DECIMAL_BASE      10
#define NICKS_XORSHIFT_A        13      //  xorshift64 triple (Marsaglia 2003)
#define NICKS_XORSHIFT_B        7
#define NICKS_XORSHIFT_C        17
#define NICKS_GUEST_WIDTH_MAX   (CHAT_NICK_MAX - (int) sizeof (NICKS_GUEST_PREFIX) + 1)

struct _nicks_t {
    zhashx_t *owners;       //  folded nick -> session id (IDS_VALUE)
    uint64_t random;        //  xorshift64 state for guest numbers
};

nicks_t *
nicks_new (void)
{
    nicks_t *self = (nicks_t *) zmalloc (sizeof (nicks_t));
    assert (self);
    self->owners = zhashx_new ();
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
    zhashx_destroy (&self->owners);
    free (self);
    *self_p = NULL;
}

int
nicks_insert (nicks_t *self, const char *nick, uint64_t session_id)
{
    assert (self);
    assert (nick);
    assert (session_id);
    char key [CHAT_NICK_MAX + 1];
    names_nick_key (nick, key);
    return zhashx_insert (self->owners, key, IDS_VALUE (session_id));
}

uint64_t
nicks_lookup (nicks_t *self, const char *nick)
{
    assert (self);
    assert (nick);
    char key [CHAT_NICK_MAX + 1];
    names_nick_key (nick, key);
    return IDS_FROM_VALUE (zhashx_lookup (self->owners, key));
}

int
nicks_remove (nicks_t *self, const char *nick)
{
    assert (self);
    assert (nick);
    char key [CHAT_NICK_MAX + 1];
    names_nick_key (nick, key);
    if (!zhashx_lookup (self->owners, key))
        return -1;
    zhashx_delete (self->owners, key);
    return 0;
}

int
nicks_rename (nicks_t *self, const char *old_nick, const char *new_nick,
              uint64_t session_id)
{
    assert (self);
    assert (old_nick);
    assert (new_nick);
    uint64_t owner = nicks_lookup (self, new_nick);
    if (owner == session_id)
        return 0;               //  only the case changes: same key
    if (owner)
        return -1;
    nicks_remove (self, old_nick);
    return nicks_insert (self, new_nick, session_id);
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
    return zhashx_size (self->owners);
}

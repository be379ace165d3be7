/*  =========================================================================
    nicks.c - case-insensitive unique nicknames

    A zhashx from folded nickname to session. The key is the session's
    own nick_key (no key duplicator), so an entry costs the hash item
    only. Lookups fold into a stack buffer, so callers pass nicknames as
    typed.
    =========================================================================
*/
#include "nicks.h"
#include "names.h"
#include <sys/random.h>

#define NICKS_DECIMAL_BASE      10
#define NICKS_XORSHIFT_A        13      //  xorshift64 triple (Marsaglia 2003)
#define NICKS_XORSHIFT_B        7
#define NICKS_XORSHIFT_C        17
#define NICKS_GUEST_WIDTH_MAX   (CHAT_NICK_MAX - (int) sizeof (NICKS_GUEST_PREFIX) + 1)

struct _nicks_t {
    zhashx_t *owners;       //  folded nick (session->nick_key) -> session
    uint64_t random;        //  xorshift64 state for guest numbers
};

nicks_t *
nicks_new (void)
{
    nicks_t *self = (nicks_t *) zmalloc (sizeof (nicks_t));
    assert (self);
    self->owners = zhashx_new ();
    assert (self->owners);
    zhashx_set_key_duplicator (self->owners, NULL);    //  keys live in the sessions
    zhashx_set_key_destructor (self->owners, NULL);
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
nicks_insert (nicks_t *self, session_t *session, const char *nick)
{
    assert (self);
    assert (session);
    assert (nick);
    assert (!*session->nick_key);
    assert (strlen (nick) <= CHAT_NICK_MAX);
    if (nicks_lookup (self, nick))
        return -1;
    snprintf (session->nick, sizeof (session->nick), "%s", nick);
    names_nick_key (nick, session->nick_key);
    int rc = zhashx_insert (self->owners, session->nick_key, session);
    assert (rc == 0);
    return 0;
}

session_t *
nicks_lookup (nicks_t *self, const char *nick)
{
    assert (self);
    assert (nick);
    char key [CHAT_NICK_MAX + 1];
    names_nick_key (nick, key);
    return (session_t *) zhashx_lookup (self->owners, key);
}

int
nicks_remove (nicks_t *self, session_t *session)
{
    assert (self);
    assert (session);
    if (!*session->nick_key)
        return -1;
    assert (zhashx_lookup (self->owners, session->nick_key) == session);
    zhashx_delete (self->owners, session->nick_key);
    session->nick_key [0] = 0;
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
    if (owner == session) {     //  only the case changes: same key
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
    return zhashx_size (self->owners);
}

/*  =========================================================================
    sessions.c - every logged-in user, by (gateway id, client id)

    A ptable (include/ptable.h) whose key is the (gateway, client) pair
    inside each record, so a session costs its record and one pointer in
    the table (a zhashx item was another 48-byte heap chunk per session)
    and the chat path finds it with one lookup. The hash mixes the client
    id with an FNV-1a of the gateway id; matching checks the client first.
    =========================================================================
*/
#include "sessions.h"
#include "ptable.h"

#define SESSIONS_FNV_OFFSET     0xcbf29ce484222325ULL   //  FNV-1a 64
#define SESSIONS_FNV_PRIME      0x100000001b3ULL
#define SESSIONS_MIX_SHIFT_1    30      //  splitmix64's finaliser
#define SESSIONS_MIX_SHIFT_2    27
#define SESSIONS_MIX_SHIFT_3    31
#define SESSIONS_MIX_FACTOR_1   0xbf58476d1ce4e5b9ULL
#define SESSIONS_MIX_FACTOR_2   0x94d049bb133111ebULL

struct _sessions_t {
    ptable_t *sessions;     //  (gateway, client) in the record -> session_t (owned)
    size_t max_sessions;    //  limit on live sessions
    uint64_t last_id;       //  last session id handed out
};

//  The key is the record's first two fields, gateway then client
typedef struct {
    const char *gateway;
    uint64_t client;
} sessions_key_t;

_Static_assert (offsetof (session_t, gateway) == offsetof (sessions_key_t, gateway)
             && offsetof (session_t, client) == offsetof (sessions_key_t, client),
                "a session starts with its key");

static uint64_t
s_hash_key (const sessions_key_t *pair)
{
    uint64_t value = SESSIONS_FNV_OFFSET;
    for (const char *byte = pair->gateway; *byte; byte++)
        value = (value ^ (unsigned char) *byte) * SESSIONS_FNV_PRIME;
    value ^= pair->client;
    value ^= value >> SESSIONS_MIX_SHIFT_1;
    value *= SESSIONS_MIX_FACTOR_1;
    value ^= value >> SESSIONS_MIX_SHIFT_2;
    value *= SESSIONS_MIX_FACTOR_2;
    value ^= value >> SESSIONS_MIX_SHIFT_3;
    return value;
}

static uint64_t
s_hash (const void *item)
{
    return s_hash_key ((const sessions_key_t *) item);
}

static bool
s_match (const void *item, const void *key)
{
    const sessions_key_t *pair1 = (const sessions_key_t *) item;
    const sessions_key_t *pair2 = (const sessions_key_t *) key;
    return pair1->client == pair2->client && streq (pair1->gateway, pair2->gateway);
}

sessions_t *
sessions_new (size_t max_sessions)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    assert (self);
    self->sessions = ptable_new (s_hash);
    assert (self->sessions);
    self->max_sessions = max_sessions;
    return self;
}

void
sessions_destroy (sessions_t **self_p)
{
    assert (self_p);
    sessions_t *self = *self_p;
    if (!self)
        return;
    for (session_t *session = (session_t *) ptable_first (self->sessions); session;
         session = (session_t *) ptable_next (self->sessions))
        free (session);
    ptable_destroy (&self->sessions);
    free (self);
    *self_p = NULL;
}

bool
sessions_full (sessions_t *self)
{
    assert (self);
    return ptable_size (self->sessions) >= self->max_sessions;
}

session_t *
sessions_add (sessions_t *self, const char *gateway, uint64_t client)
{
    assert (self);
    assert (gateway);
    assert (strlen (gateway) <= WIRE_GATEWAY_MAX);
    if (sessions_full (self) || sessions_lookup (self, gateway, client))
        return NULL;
    session_t *session = (session_t *) zmalloc (sizeof (session_t));
    assert (session);
    session->gateway = gateway;
    session->client = client;
    session->id = ++self->last_id;
    int rc = ptable_insert (self->sessions, session);
    assert (rc == 0);
    return session;
}

session_t *
sessions_lookup (sessions_t *self, const char *gateway, uint64_t client)
{
    assert (self);
    assert (gateway);
    sessions_key_t key = { gateway, client };
    return (session_t *) ptable_lookup (self->sessions, s_hash_key (&key), s_match, &key);
}

void
sessions_remove (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    assert (!session->room);
    int rc = ptable_remove (self->sessions, session);
    assert (rc == 0);
    free (session);
}

session_t **
sessions_of_gateway (sessions_t *self, const char *gateway, size_t *count_p)
{
    assert (self);
    assert (gateway);
    assert (count_p);
    *count_p = 0;
    session_t **list = NULL;
    size_t limit = 0;
    for (session_t *session = (session_t *) ptable_first (self->sessions); session;
         session = (session_t *) ptable_next (self->sessions)) {
        if (!streq (session->gateway, gateway))
            continue;
        if (*count_p == limit) {
            limit = limit? limit * 2: 1;
            list = (session_t **) realloc (list, limit * sizeof (session_t *));
            assert (list);
        }
        list [(*count_p)++] = session;
    }
    return list;
}

size_t
sessions_size (sessions_t *self)
{
    assert (self);
    return ptable_size (self->sessions);
}

/*  =========================================================================
    sessions.c - every logged-in user, by (gateway id, client id)

    One zhashx whose key is the (gateway, client) pair inside each
    record, so inserting allocates no key and the chat path finds a
    session with one lookup. The hash mixes the client id with an FNV-1a
    of the gateway id; comparing checks the client first.
    =========================================================================
*/
#include "sessions.h"

#define SESSIONS_FNV_OFFSET     0xcbf29ce484222325ULL   //  FNV-1a 64
#define SESSIONS_FNV_PRIME      0x100000001b3ULL
#define SESSIONS_MIX_SHIFT_1    30      //  splitmix64's finaliser
#define SESSIONS_MIX_SHIFT_2    27
#define SESSIONS_MIX_SHIFT_3    31
#define SESSIONS_MIX_FACTOR_1   0xbf58476d1ce4e5b9ULL
#define SESSIONS_MIX_FACTOR_2   0x94d049bb133111ebULL

struct _sessions_t {
    zhashx_t *sessions;     //  (gateway, client) in the record -> session_t (owned)
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

static size_t
s_hash (const void *key)
{
    const sessions_key_t *pair = (const sessions_key_t *) key;
    uint64_t value = SESSIONS_FNV_OFFSET;
    for (const char *byte = pair->gateway; *byte; byte++)
        value = (value ^ (unsigned char) *byte) * SESSIONS_FNV_PRIME;
    value ^= pair->client;
    value ^= value >> SESSIONS_MIX_SHIFT_1;
    value *= SESSIONS_MIX_FACTOR_1;
    value ^= value >> SESSIONS_MIX_SHIFT_2;
    value *= SESSIONS_MIX_FACTOR_2;
    value ^= value >> SESSIONS_MIX_SHIFT_3;
    return (size_t) value;
}

static int
s_compare (const void *item1, const void *item2)
{
    const sessions_key_t *pair1 = (const sessions_key_t *) item1;
    const sessions_key_t *pair2 = (const sessions_key_t *) item2;
    if (pair1->client != pair2->client)
        return pair1->client < pair2->client? -1: 1;
    return strcmp (pair1->gateway, pair2->gateway);
}

static void
s_session_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

sessions_t *
sessions_new (size_t max_sessions)
{
    sessions_t *self = (sessions_t *) zmalloc (sizeof (sessions_t));
    assert (self);
    self->sessions = zhashx_new ();
    assert (self->sessions);
    zhashx_set_key_hasher (self->sessions, s_hash);
    zhashx_set_key_comparator (self->sessions, s_compare);
    zhashx_set_key_duplicator (self->sessions, NULL);   //  the key lives in the record
    zhashx_set_key_destructor (self->sessions, NULL);
    zhashx_set_destructor (self->sessions, s_session_destroy);
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
    zhashx_destroy (&self->sessions);
    free (self);
    *self_p = NULL;
}

bool
sessions_full (sessions_t *self)
{
    assert (self);
    return zhashx_size (self->sessions) >= self->max_sessions;
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
    int rc = zhashx_insert (self->sessions, session, session);
    assert (rc == 0);
    return session;
}

session_t *
sessions_lookup (sessions_t *self, const char *gateway, uint64_t client)
{
    assert (self);
    assert (gateway);
    sessions_key_t key = { gateway, client };
    return (session_t *) zhashx_lookup (self->sessions, &key);
}

void
sessions_remove (sessions_t *self, session_t *session)
{
    assert (self);
    assert (session);
    assert (!session->room);
    assert (zhashx_lookup (self->sessions, session) == session);
    zhashx_delete (self->sessions, session);
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
    for (session_t *session = (session_t *) zhashx_first (self->sessions); session;
         session = (session_t *) zhashx_next (self->sessions)) {
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
    return zhashx_size (self->sessions);
}

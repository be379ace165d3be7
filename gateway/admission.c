/*  =========================================================================
    admission.c - who may connect: per-address caps on the client port

    Implements admission.h. Entries live in a zhashx keyed by the
    address's group as text ("192.0.2.7", "2001:db8:1:2::/64"), which is
    also what the refusal log line names. The connect rate is a token
    bucket kept in units of 1/connect_count ms: each connection costs
    window_ms units, and a ms earns connect_count, so N per SECONDS is
    exact in integers.
    =========================================================================
*/
#include "admission.h"
#include <arpa/inet.h>

#define ADMISSION_KEY_MAX       (INET6_ADDRSTRLEN + 8)  //  "v6/64" text
#define ADMISSION_V6_GROUP      8       //  bytes of an IPv6 address kept: a /64
#define ADMISSION_V6_SIZE       16
#define ADMISSION_V4_SIZE       4
#define ADMISSION_MAPPED        12      //  ::ffff:0:0/96
#define ADMISSION_MS_PER_S      1000
#define ADMISSION_DECIMAL       10
#define ADMISSION_LOG_MS        10000   //  one refusal line per address this often
static const uint8_t s_mapped [ADMISSION_MAPPED] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct _admission_entry_t {
    uint32_t open;                  //  connections open now
    int64_t tokens;                 //  connect-rate bucket (see above)
    int64_t stamp;                  //  ms of its last refill
    int64_t logged_at;              //  ms of the last refusal log line, or 0
    uint64_t refused;               //  refusals not yet logged
    char key [ADMISSION_KEY_MAX];
};

struct _admission_t {
    admission_limits_t limits;
    cidr_list_t exempt;
    zhashx_t *entries;              //  key -> admission_entry_t, owned
    int64_t swept_at;               //  ms of the last sweep
    uint64_t refused;               //  all refusals
};

int
admission_parse_rate (admission_limits_t *limits, const char *text)
{
    assert (limits);
    char *end;
    errno = 0;
    long count = strtol (text, &end, ADMISSION_DECIMAL);
    if (errno || end == text || count < 0 || count > INT32_MAX)
        return -1;
    if (count == 0 && *end == 0) {
        limits->connect_count = 0;
        limits->connect_window_ms = 0;
        return 0;
    }
    if (*end != '/')
        return -1;
    const char *seconds_text = end + 1;
    long seconds = strtol (seconds_text, &end, ADMISSION_DECIMAL);
    if (errno || end == seconds_text || *end || seconds <= 0 || seconds > INT32_MAX)
        return -1;
    limits->connect_count = (uint32_t) count;
    limits->connect_window_ms = count? (int64_t) seconds * ADMISSION_MS_PER_S: 0;
    return 0;
}

static void
s_entry_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

admission_t *
admission_new (const admission_limits_t *limits)
{
    assert (limits);
    admission_t *self = (admission_t *) zmalloc (sizeof (admission_t));
    if (!self)
        return NULL;
    self->limits = *limits;
    if (limits->exempt)
        self->exempt = *limits->exempt;
    self->limits.exempt = &self->exempt;
    self->entries = zhashx_new ();
    if (!self->entries) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_entry_free);
    return self;
}

void
admission_destroy (admission_t **self_p)
{
    assert (self_p);
    admission_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->entries);
    free (self);
    *self_p = NULL;
}

bool
admission_enabled (admission_t *self)
{
    assert (self);
    return self->limits.max_per_address > 0 || self->limits.connect_count > 0;
}

//  The group of address as text: IPv4 whole, IPv6 its /64. -1 if neither.
static int
s_key (const struct sockaddr *address, char *key)
{
    if (address->sa_family == AF_INET)
        return inet_ntop (AF_INET, &((const struct sockaddr_in *) address)->sin_addr,
                          key, ADMISSION_KEY_MAX)? 0: -1;
    if (address->sa_family != AF_INET6)
        return -1;
    const uint8_t *v6 = ((const struct sockaddr_in6 *) address)->sin6_addr.s6_addr;
    if (memcmp (v6, s_mapped, ADMISSION_MAPPED) == 0)
        return inet_ntop (AF_INET, v6 + ADMISSION_MAPPED, key, ADMISSION_KEY_MAX)? 0: -1;
    uint8_t group [ADMISSION_V6_SIZE] = { 0 };
    memcpy (group, v6, ADMISSION_V6_GROUP);
    if (!inet_ntop (AF_INET6, group, key, ADMISSION_KEY_MAX))
        return -1;
    strcat (key, "/64");
    return 0;
}

//  Refill the entry's connect bucket; capacity connect_count * window.
static void
s_refill (admission_t *self, admission_entry_t *entry, int64_t now)
{
    int64_t capacity = (int64_t) self->limits.connect_count * self->limits.connect_window_ms;
    if (now > entry->stamp) {
        int64_t earned = (now - entry->stamp) * (int64_t) self->limits.connect_count;
        entry->tokens = earned >= capacity - entry->tokens? capacity: entry->tokens + earned;
        entry->stamp = now;
    }
}

static bool
s_full (admission_t *self, admission_entry_t *entry)
{
    return entry->tokens >= (int64_t) self->limits.connect_count * self->limits.connect_window_ms;
}

//  Once per window: forget addresses with nothing open and a full bucket.
static void
s_sweep (admission_t *self, int64_t now)
{
    int64_t window = MAX (self->limits.connect_window_ms, ADMISSION_MS_PER_S);
    if (now - self->swept_at < window)
        return;
    self->swept_at = now;
    zlistx_t *keys = zhashx_keys (self->entries);
    if (!keys)
        return;
    for (const char *key = (const char *) zlistx_first (keys); key;
         key = (const char *) zlistx_next (keys)) {
        admission_entry_t *entry = (admission_entry_t *) zhashx_lookup (self->entries, key);
        if (entry->open > 0)
            continue;
        s_refill (self, entry, now);
        if (s_full (self, entry))
            zhashx_delete (self->entries, key);
    }
    zlistx_destroy (&keys);
}

//  Log a refusal at most once per ADMISSION_LOG_MS per address, with the
//  count since the last line.
static void
s_refuse (admission_t *self, admission_entry_t *entry, admission_result_t result, int64_t now)
{
    self->refused++;
    entry->refused++;
    if (entry->logged_at != 0 && now - entry->logged_at < ADMISSION_LOG_MS)
        return;
    zsys_warning ("admission: refused addr=%s reason=%s refused=%" PRIu64 " open=%u",
                  entry->key, result == ADMISSION_TOO_MANY? "too-many": "too-fast",
                  entry->refused, entry->open);
    entry->logged_at = now;
    entry->refused = 0;
}

admission_result_t
admission_enter (admission_t *self, const struct sockaddr *address, int64_t now,
                 admission_entry_t **entry_p)
{
    assert (self);
    assert (address);
    assert (entry_p);
    *entry_p = NULL;
    if (!admission_enabled (self) || cidr_match (&self->exempt, address))
        return ADMISSION_OK;
    char key [ADMISSION_KEY_MAX];
    if (s_key (address, key))
        return ADMISSION_OK;            //  not an IP peer (never on a TCP port)
    s_sweep (self, now);
    admission_entry_t *entry = (admission_entry_t *) zhashx_lookup (self->entries, key);
    if (!entry) {
        entry = (admission_entry_t *) zmalloc (sizeof (admission_entry_t));
        if (!entry)
            return ADMISSION_OK;        //  fail open: a cap is not worth a refusal
        strcpy (entry->key, key);
        entry->stamp = now;
        entry->tokens = (int64_t) self->limits.connect_count * self->limits.connect_window_ms;
        zhashx_insert (self->entries, key, entry);
    }
    if (self->limits.max_per_address > 0 && entry->open >= self->limits.max_per_address) {
        s_refuse (self, entry, ADMISSION_TOO_MANY, now);
        return ADMISSION_TOO_MANY;
    }
    if (self->limits.connect_count > 0) {
        s_refill (self, entry, now);
        if (entry->tokens < self->limits.connect_window_ms) {
            s_refuse (self, entry, ADMISSION_TOO_FAST, now);
            return ADMISSION_TOO_FAST;
        }
        entry->tokens -= self->limits.connect_window_ms;
    }
    entry->open++;
    *entry_p = entry;
    return ADMISSION_OK;
}

void
admission_leave (admission_t *self, admission_entry_t *entry)
{
    assert (self);
    if (!entry)
        return;
    assert (entry->open > 0);
    entry->open--;
    if (entry->open == 0 && self->limits.connect_count == 0)
        zhashx_delete (self->entries, entry->key);
}

uint64_t
admission_refused (admission_t *self)
{
    assert (self);
    return self->refused;
}

size_t
admission_size (admission_t *self)
{
    assert (self);
    return zhashx_size (self->entries);
}

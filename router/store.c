/*  =========================================================================
    store.c - choose a history backend from its spec, and check its input

    The one table of backends lives here: adding one is a line. Checks
    every backend would need (the settings, the size of each record's
    fields) are made once here too, so backends may trust their input.
    =========================================================================
*/
#include "store.h"
#include "store_memory.h"
#include "store_sqlite.h"

struct _store_t {
    const store_ops_t *ops;         //  the backend
    void *backend;                  //  its self
};

static const store_ops_t *s_backends [] = {
    &store_memory_ops,
    &store_sqlite_ops,
};

void
store_config_defaults (store_config_t *config)
{
    assert (config);
    memset (config, 0, sizeof (*config));
    config->history_size = STORE_HISTORY_SIZE;
    config->memory_max = STORE_MEMORY_MAX;
    config->batch_ms = STORE_BATCH_MS;
    config->backlog_max = STORE_BACKLOG_MAX;
}

static int
s_check_config (const store_config_t *config)
{
    if (config->history_size < 1 || config->history_size > STORE_HISTORY_SIZE_MAX) {
        zsys_error ("store: history-size must be 1..%d, not %lld", STORE_HISTORY_SIZE_MAX,
                    (long long) config->history_size);
        return -1;
    }
    if (config->memory_max < 1 || config->batch_ms < 0 || config->backlog_max < 0) {
        zsys_error ("store: history-memory must be > 0, history-batch and history-backlog >= 0");
        return -1;
    }
    return 0;
}

store_t *
store_new (const char *spec, const store_config_t *config)
{
    assert (config);
    if (!spec)
        spec = STORE_DEFAULT_SPEC;
    if (s_check_config (config) == -1)
        return NULL;
    const char *colon = strchr (spec, ':');
    size_t name_size = colon? (size_t) (colon - spec): strlen (spec);
    const store_ops_t *ops = NULL;
    for (size_t index = 0; index < sizeof (s_backends) / sizeof (s_backends [0]); index++)
        if (strlen (s_backends [index]->name) == name_size
        &&  memcmp (s_backends [index]->name, spec, name_size) == 0)
            ops = s_backends [index];
    const char *path = colon? colon + 1: NULL;
    if (!ops || ops->takes_path != (path != NULL) || (path && *path == 0)) {
        zsys_error ("store: bad spec '%s' (expected memory or sqlite:PATH)", spec);
        return NULL;
    }
    void *backend = ops->open (path, config);
    if (!backend)
        return NULL;
    store_t *self = (store_t *) zmalloc (sizeof (store_t));
    assert (self);
    self->ops = ops;
    self->backend = backend;
    return self;
}

void
store_destroy (store_t **self_p)
{
    assert (self_p);
    store_t *self = *self_p;
    if (!self)
        return;
    self->ops->close (&self->backend);
    free (self);
    *self_p = NULL;
}

const char *
store_name (store_t *self)
{
    assert (self);
    return self->ops->name;
}

unsigned
store_capabilities (store_t *self)
{
    assert (self);
    return self->ops->capabilities;
}

static bool
s_fits (const char *string, size_t max)
{
    return string && strnlen (string, max + 1) <= max;
}

bool
store_record_valid (const store_record_t *record)
{
    assert (record);
    return record->seq > 0
        && (record->kind == STORE_CHAT || record->kind == STORE_ACTION)
        && s_fits (record->room, CHAT_ROOM_MAX) && *record->room
        && s_fits (record->nick, CHAT_NICK_MAX)
        && s_fits (record->text, WIRE_TEXT_MAX)
        && (!record->gateway || s_fits (record->gateway, WIRE_GATEWAY_MAX));
}

int
store_append (store_t *self, const store_record_t *record)
{
    assert (self);
    assert (record);
    if (!store_record_valid (record))
        return -1;
    return self->ops->append (self->backend, record);
}

size_t
store_last (store_t *self, const char *room, uint64_t before, size_t count,
            store_visit_fn *visit, void *arg)
{
    assert (self);
    assert (room);
    return self->ops->last (self->backend, room, before, count, visit, arg);
}

size_t
store_range (store_t *self, const char *room, uint64_t from, uint64_t to, size_t count,
             store_visit_fn *visit, void *arg)
{
    assert (self);
    assert (room);
    return self->ops->range (self->backend, room, from, to, count, visit, arg);
}

void
store_room_info (store_t *self, const char *room, store_room_info_t *info)
{
    assert (self);
    assert (room);
    self->ops->room_info (self->backend, room, info);
}

int64_t
store_tick (store_t *self, int64_t now)
{
    assert (self);
    return self->ops->tick (self->backend, now);
}

int
store_sync (store_t *self)
{
    assert (self);
    return self->ops->sync (self->backend);
}

void
store_stats (store_t *self, store_stats_t *stats)
{
    assert (self);
    assert (stats);
    memset (stats, 0, sizeof (*stats));
    self->ops->stats (self->backend, stats);
}

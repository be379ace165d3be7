/*  =========================================================================
    store_memory.c - room history in memory: a bounded ring per room

    A line is one allocation: a small fixed header and its strings packed
    behind it (nick, gateway, text, each NUL-terminated). A room's ring is
    an array of line pointers in seq order starting at head; it grows by
    doubling up to history_size, so 100 000 rooms of one line each do not
    cost 100 000 full rings. Lookups by seq are binary searches over the
    ring, since seqs strictly increase within a room.

    Bytes are charged as the allocator really spends them
    (malloc_usable_size plus the chunk header), and a fixed estimate for
    the hash entry of each room, so memory_max bounds the real footprint
    rather than the payload.
    =========================================================================
*/
#include "store_memory.h"
#include <malloc.h>

#define STORE_MEMORY_RING_MIN       4   //  slots in a room's first ring
#define STORE_MEMORY_CHUNK_OVERHEAD sizeof (size_t)  //  glibc's header per allocation
#define STORE_MEMORY_HASH_COST      64  //  bytes: zhashx item and slot per room (estimate)
#define STORE_MEMORY_GROWTH         2   //  a full ring doubles
#define STORE_MEMORY_NULS           3   //  terminators of nick, gateway, text

//  One history line
typedef struct {
    uint64_t seq;
    uint64_t client;
    int64_t time;
    uint16_t text_size;             //  bytes of text, NUL not counted
    uint8_t nick_size;
    uint8_t gateway_size;
    uint8_t kind;                   //  store_kind_t
    char data [];                   //  nick NUL gateway NUL text NUL
} line_t;

//  One room's history
typedef struct _history_t history_t;
struct _history_t {
    char name [CHAT_ROOM_MAX + 1];  //  canonical room name; also the hash key
    line_t **ring;                  //  capacity slots, count used from head
    uint32_t capacity;
    uint32_t head;                  //  slot of the oldest line
    uint32_t count;                 //  lines held
    size_t bytes;                   //  what this room is charged, lines included
    history_t *older;               //  LRU list by last append: towards the oldest
    history_t *newer;               //  towards the newest
};

struct _store_memory_t {
    zhashx_t *rooms;                //  name -> history_t (owned)
    history_t *oldest;              //  least recently written room (evicted first)
    history_t *newest;              //  most recently written room
    uint32_t history_size;          //  lines per room
    size_t memory_max;              //  bytes for everything
    size_t bytes;                   //  bytes charged now
    uint64_t records;               //  lines held now
    uint64_t appends;               //  lines accepted
    uint64_t evicted;               //  lines dropped by the budget
    store_memory_drop_fn *drop;     //  told about every line that leaves
    void *drop_arg;
};

//  What an allocation really costs.
static size_t
s_cost (void *block)
{
    return block? malloc_usable_size (block) + STORE_MEMORY_CHUNK_OVERHEAD: 0;
}

static line_t *
s_line_at (history_t *history, uint32_t index)
{
    return history->ring [(history->head + index) % history->capacity];
}

//  Index of the first line with seq >= seq (count if none).
static uint32_t
s_lower_bound (history_t *history, uint64_t seq)
{
    uint32_t low = 0, high = history->count;
    while (low < high) {
        uint32_t middle = low + (high - low) / 2;
        if (s_line_at (history, middle)->seq < seq)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static void
s_history_destroy (void **item_p)
{
    history_t *history = (history_t *) *item_p;
    if (!history)
        return;
    for (uint32_t index = 0; index < history->count; index++)
        free (s_line_at (history, index));
    free (history->ring);
    free (history);
    *item_p = NULL;
}

store_memory_t *
store_memory_new (const store_config_t *config, store_memory_drop_fn *drop, void *arg)
{
    assert (config);
    assert (config->history_size > 0 && config->history_size <= STORE_HISTORY_SIZE_MAX);
    store_memory_t *self = (store_memory_t *) zmalloc (sizeof (store_memory_t));
    assert (self);
    self->rooms = zhashx_new ();
    assert (self->rooms);
    //  The key is the history's own name field: no copy per room
    zhashx_set_key_duplicator (self->rooms, NULL);
    zhashx_set_key_destructor (self->rooms, NULL);
    zhashx_set_destructor (self->rooms, s_history_destroy);
    self->history_size = (uint32_t) config->history_size;
    self->memory_max = (size_t) config->memory_max;
    self->drop = drop;
    self->drop_arg = arg;
    return self;
}

void
store_memory_destroy (store_memory_t **self_p)
{
    assert (self_p);
    store_memory_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->rooms);
    free (self);
    *self_p = NULL;
}

static void
s_unlink (store_memory_t *self, history_t *history)
{
    if (history->older)
        history->older->newer = history->newer;
    else
        self->oldest = history->newer;
    if (history->newer)
        history->newer->older = history->older;
    else
        self->newest = history->older;
    history->older = history->newer = NULL;
}

static void
s_link_newest (store_memory_t *self, history_t *history)
{
    history->older = self->newest;
    history->newer = NULL;
    if (self->newest)
        self->newest->newer = history;
    else
        self->oldest = history;
    self->newest = history;
}

//  Free the oldest line of a room and tell the owner.
static void
s_drop_oldest (store_memory_t *self, history_t *history)
{
    assert (history->count > 0);
    line_t *line = history->ring [history->head];
    uint64_t seq = line->seq;
    size_t cost = s_cost (line);
    free (line);
    history->head = (history->head + 1) % history->capacity;
    history->count--;
    history->bytes -= cost;
    self->bytes -= cost;
    self->records--;
    if (self->drop)
        self->drop (history->name, seq, self->drop_arg);
}

//  Forget a room whose last line has gone.
static void
s_remove_room (store_memory_t *self, history_t *history)
{
    assert (history->count == 0);
    self->bytes -= history->bytes;
    s_unlink (self, history);
    char name [CHAT_ROOM_MAX + 1];
    memcpy (name, history->name, sizeof (name));
    zhashx_delete (self->rooms, name);
}

static history_t *
s_history_new (store_memory_t *self, const char *room)
{
    history_t *history = (history_t *) zmalloc (sizeof (history_t));
    assert (history);
    strncpy (history->name, room, CHAT_ROOM_MAX);
    history->bytes = s_cost (history) + STORE_MEMORY_HASH_COST;
    self->bytes += history->bytes;
    int rc = zhashx_insert (self->rooms, history->name, history);
    assert (rc == 0);
    s_link_newest (self, history);
    return history;
}

//  Make room in the ring for one more line: drop the oldest when full,
//  else grow (doubling) when every slot is used.
static void
s_make_slot (store_memory_t *self, history_t *history)
{
    if (history->count == self->history_size) {
        s_drop_oldest (self, history);
        return;
    }
    if (history->count < history->capacity)
        return;
    uint32_t capacity = history->capacity? history->capacity * STORE_MEMORY_GROWTH
                                         : STORE_MEMORY_RING_MIN;
    if (capacity > self->history_size)
        capacity = self->history_size;
    line_t **ring = (line_t **) malloc (capacity * sizeof (line_t *));
    assert (ring);
    for (uint32_t index = 0; index < history->count; index++)
        ring [index] = s_line_at (history, index);
    size_t old_cost = s_cost (history->ring);
    free (history->ring);
    history->ring = ring;
    history->capacity = capacity;
    history->head = 0;
    size_t new_cost = s_cost (ring);
    history->bytes += new_cost - old_cost;
    self->bytes += new_cost - old_cost;
}

static line_t *
s_line_new (const store_record_t *record)
{
    size_t nick_size = strlen (record->nick);
    size_t gateway_size = record->gateway? strlen (record->gateway): 0;
    size_t text_size = strlen (record->text);
    line_t *line = (line_t *) malloc (offsetof (line_t, data)
                                      + nick_size + gateway_size + text_size
                                      + STORE_MEMORY_NULS);
    assert (line);
    line->seq = record->seq;
    line->client = record->client;
    line->time = record->time;
    line->kind = (uint8_t) record->kind;
    line->nick_size = (uint8_t) nick_size;
    line->gateway_size = (uint8_t) gateway_size;
    line->text_size = (uint16_t) text_size;
    char *cursor = line->data;
    memcpy (cursor, record->nick, nick_size + 1);
    cursor += nick_size + 1;
    if (gateway_size)
        memcpy (cursor, record->gateway, gateway_size);
    cursor [gateway_size] = 0;
    cursor += gateway_size + 1;
    memcpy (cursor, record->text, text_size + 1);
    return line;
}

int
store_memory_append (store_memory_t *self, const store_record_t *record)
{
    assert (self);
    assert (record);
    history_t *history = (history_t *) zhashx_lookup (self->rooms, record->room);
    if (history && history->count
    &&  record->seq <= s_line_at (history, history->count - 1)->seq)
        return -1;
    if (!history)
        history = s_history_new (self, record->room);
    else {
        s_unlink (self, history);
        s_link_newest (self, history);
    }
    s_make_slot (self, history);
    line_t *line = s_line_new (record);
    history->ring [(history->head + history->count) % history->capacity] = line;
    history->count++;
    size_t cost = s_cost (line);
    history->bytes += cost;
    self->bytes += cost;
    self->records++;
    self->appends++;

    //  The budget: the least recently written room loses its oldest lines
    //  until it is gone, then the next; the room just written to goes
    //  last and keeps at least the new line.
    while (self->bytes > self->memory_max) {
        history_t *victim = self->oldest;
        if (victim == history && history->count == 1)
            break;
        s_drop_oldest (self, victim);
        self->evicted++;
        if (victim->count == 0)
            s_remove_room (self, victim);
    }
    return 0;
}

//  Visit lines [start, end) of a room.
static size_t
s_visit (history_t *history, uint32_t start, uint32_t end, store_visit_fn *visit, void *arg)
{
    size_t visited = 0;
    for (uint32_t index = start; index < end; index++) {
        line_t *line = s_line_at (history, index);
        store_record_t record = {
            .room = history->name,
            .seq = line->seq,
            .time = line->time,
            .kind = (store_kind_t) line->kind,
            .nick = line->data,
            .gateway = line->data + line->nick_size + sizeof (char),
            .text = line->data + line->nick_size + line->gateway_size + 2 * sizeof (char),
            .client = line->client
        };
        visited++;
        if (visit (&record, arg) == -1)
            break;
    }
    return visited;
}

size_t
store_memory_last (store_memory_t *self, const char *room, uint64_t before, size_t count,
                   store_visit_fn *visit, void *arg)
{
    assert (self);
    assert (visit);
    history_t *history = (history_t *) zhashx_lookup (self->rooms, room);
    if (!history)
        return 0;
    uint32_t end = before? s_lower_bound (history, before): history->count;
    uint32_t start = end > count? end - (uint32_t) count: 0;
    return s_visit (history, start, end, visit, arg);
}

size_t
store_memory_range (store_memory_t *self, const char *room, uint64_t from, uint64_t to,
                    size_t count, store_visit_fn *visit, void *arg)
{
    assert (self);
    assert (visit);
    history_t *history = (history_t *) zhashx_lookup (self->rooms, room);
    if (!history || from > to)
        return 0;
    uint32_t start = s_lower_bound (history, from);
    //  One past the last line with seq <= to, at most count lines on
    uint32_t end = to == UINT64_MAX? history->count: s_lower_bound (history, to + 1);
    if (end - start > count)
        end = start + (uint32_t) count;
    return s_visit (history, start, end, visit, arg);
}

void
store_memory_room_info (store_memory_t *self, const char *room, store_room_info_t *info)
{
    assert (self);
    assert (info);
    memset (info, 0, sizeof (*info));
    history_t *history = (history_t *) zhashx_lookup (self->rooms, room);
    if (!history || history->count == 0)
        return;
    info->records = history->count;
    info->first_seq = s_line_at (history, 0)->seq;
    info->last_seq = s_line_at (history, history->count - 1)->seq;
}

void
store_memory_stats (store_memory_t *self, store_stats_t *stats)
{
    assert (self);
    assert (stats);
    stats->records = self->records;
    stats->bytes = self->bytes;
    stats->rooms = zhashx_size (self->rooms);
    stats->appends = self->appends;
    stats->evicted = self->evicted;
}

//  --- the "memory" backend: the ring store on its own ---------------------

static void *
s_open (const char *path, const store_config_t *config)
{
    (void) path;
    return store_memory_new (config, NULL, NULL);
}

static void
s_close (void **self_p)
{
    store_memory_destroy ((store_memory_t **) self_p);
}

static int
s_append (void *self, const store_record_t *record)
{
    return store_memory_append ((store_memory_t *) self, record);
}

static size_t
s_last (void *self, const char *room, uint64_t before, size_t count,
        store_visit_fn *visit, void *arg)
{
    return store_memory_last ((store_memory_t *) self, room, before, count, visit, arg);
}

static size_t
s_range (void *self, const char *room, uint64_t from, uint64_t to, size_t count,
         store_visit_fn *visit, void *arg)
{
    return store_memory_range ((store_memory_t *) self, room, from, to, count, visit, arg);
}

static void
s_room_info (void *self, const char *room, store_room_info_t *info)
{
    store_memory_room_info ((store_memory_t *) self, room, info);
}

//  Nothing is ever queued in memory.
static int64_t
s_tick (void *self, int64_t now)
{
    (void) self;
    (void) now;
    return -1;
}

static int
s_sync (void *self)
{
    (void) self;
    return 0;
}

static void
s_stats (void *self, store_stats_t *stats)
{
    store_memory_stats ((store_memory_t *) self, stats);
}

const store_ops_t store_memory_ops = {
    .name = "memory",
    .takes_path = false,
    .capabilities = 0,
    .open = s_open,
    .close = s_close,
    .append = s_append,
    .last = s_last,
    .range = s_range,
    .room_info = s_room_info,
    .tick = s_tick,
    .sync = s_sync,
    .stats = s_stats
};

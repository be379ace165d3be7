/*  =========================================================================
    subs.c - the gateway's room subscriptions and local room members

    Rooms live in a hash by canonical name (one lookup per published
    message). Members are an array per room that grows geometrically and
    never shrinks below its peak while the room lives; removal swaps the
    last member into the hole, so fan-out walks a dense array. PROBING
    rooms are also on a doubly linked list, for the probe backoff.
    =========================================================================
*/
#include "subs.h"
#include <sys/random.h>

#define SUBS_MEMBERS_INITIAL    8       //  first member array size
#define SUBS_WAITERS_INITIAL    4       //  first waiter array size

struct _subs_room_t {
    char name [CHAT_ROOM_MAX + 1];  //  canonical room name
    subs_state_t state;             //  PROBING or LIVE
    size_t refs;                    //  local sessions in or joining the room
    uint64_t token;                 //  our PROBE token
    bool seq_known;                 //  a sequence number has been seen since LIVE
    uint64_t last_seq;              //  last sequence number seen
    subs_member_t **members;        //  local members, dense
    size_t member_count;
    size_t member_capacity;
    uint64_t *waiters;              //  client ids waiting for LIVE
    size_t waiter_count;
    size_t waiter_capacity;
    subs_room_t *probe_prev;        //  list of PROBING rooms
    subs_room_t *probe_next;
    bool probing_listed;            //  on that list
    size_t resends;                 //  PROBEs resent since probing began
    size_t wait_ticks;              //  ticks until the next resend
    size_t backoff;                 //  ticks between the last two resends
};

struct _subs_t {
    zhashx_t *rooms;                //  name -> subs_room_t
    subs_events_t events;           //  subscribe / unsubscribe
    void *owner;                    //  argument of the events
    uint64_t next_token;            //  PROBE tokens, from a random start
    subs_room_t *probing_head;      //  PROBING rooms, oldest first
    subs_room_t *probing_tail;
};

//  Put a room (back) on the PROBING list with a fresh backoff.
static void
s_probing_add (subs_t *self, subs_room_t *room)
{
    room->resends = 0;
    room->wait_ticks = 0;
    room->backoff = 0;
    if (room->probing_listed)
        return;
    room->probing_listed = true;
    room->probe_prev = self->probing_tail;
    room->probe_next = NULL;
    if (self->probing_tail)
        self->probing_tail->probe_next = room;
    else
        self->probing_head = room;
    self->probing_tail = room;
}

static void
s_probing_remove (subs_t *self, subs_room_t *room)
{
    if (!room->probing_listed)
        return;
    if (room->probe_prev)
        room->probe_prev->probe_next = room->probe_next;
    else
        self->probing_head = room->probe_next;
    if (room->probe_next)
        room->probe_next->probe_prev = room->probe_prev;
    else
        self->probing_tail = room->probe_prev;
    room->probe_prev = room->probe_next = NULL;
    room->probing_listed = false;
}

//  Detach every member and free the room.
static void
s_room_destroy (subs_room_t **self_p)
{
    subs_room_t *self = *self_p;
    if (self) {
        for (size_t index = 0; index < self->member_count; index++)
            self->members [index]->room = NULL;
        free (self->members);
        free (self->waiters);
        free (self);
        *self_p = NULL;
    }
}

subs_t *
subs_new (const subs_events_t *events, void *owner)
{
    assert (events);
    subs_t *self = (subs_t *) zmalloc (sizeof (subs_t));
    if (!self)
        return NULL;
    self->rooms = zhashx_new ();
    if (!self->rooms) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->rooms, (zhashx_destructor_fn *) s_room_destroy);
    self->events = *events;
    self->owner = owner;
    //  A random start, so tokens of a restarted gateway do not repeat
    if (getrandom (&self->next_token, sizeof (self->next_token), 0)
        != (ssize_t) sizeof (self->next_token))
        self->next_token = (uint64_t) zclock_usecs ();
    return self;
}

void
subs_destroy (subs_t **self_p)
{
    assert (self_p);
    subs_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->rooms);
        free (self);
        *self_p = NULL;
    }
}

size_t
subs_size (subs_t *self)
{
    assert (self);
    return zhashx_size (self->rooms);
}

subs_room_t *
subs_ref (subs_t *self, const char *room)
{
    assert (self);
    assert (room && strlen (room) <= CHAT_ROOM_MAX);
    subs_room_t *entry = (subs_room_t *) zhashx_lookup (self->rooms, room);
    if (entry) {
        entry->refs++;
        return entry;
    }
    entry = (subs_room_t *) zmalloc (sizeof (subs_room_t));
    assert (entry);
    strcpy (entry->name, room);
    entry->state = SUBS_PROBING;
    entry->refs = 1;
    entry->token = ++self->next_token;
    s_probing_add (self, entry);
    zhashx_insert (self->rooms, entry->name, entry);
    if (self->events.subscribe)
        self->events.subscribe (self->owner, entry);
    return entry;
}

void
subs_unref (subs_t *self, const char *room)
{
    assert (self);
    assert (room);
    subs_room_t *entry = (subs_room_t *) zhashx_lookup (self->rooms, room);
    if (!entry)
        return;
    assert (entry->refs > 0);
    if (--entry->refs > 0)
        return;
    char name [CHAT_ROOM_MAX + 1];
    strcpy (name, entry->name);
    s_probing_remove (self, entry);
    zhashx_delete (self->rooms, name);
    if (self->events.unsubscribe)
        self->events.unsubscribe (self->owner, name);
}

subs_room_t *
subs_lookup (subs_t *self, const char *room)
{
    assert (self);
    return room? (subs_room_t *) zhashx_lookup (self->rooms, room): NULL;
}

bool
subs_probed (subs_t *self, const char *room, uint64_t token)
{
    assert (self);
    subs_room_t *entry = subs_lookup (self, room);
    if (!entry || entry->state != SUBS_PROBING || entry->token != token)
        return false;
    entry->state = SUBS_LIVE;
    entry->seq_known = false;
    s_probing_remove (self, entry);
    return true;
}

void
subs_reprobe (subs_t *self)
{
    assert (self);
    for (subs_room_t *entry = (subs_room_t *) zhashx_first (self->rooms);
         entry; entry = (subs_room_t *) zhashx_next (self->rooms)) {
        entry->state = SUBS_PROBING;
        entry->token = ++self->next_token;
        entry->seq_known = false;
        s_probing_add (self, entry);
    }
}

void
subs_each_probing (subs_t *self, subs_room_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    for (subs_room_t *entry = self->probing_head; entry; entry = entry->probe_next)
        fn (arg, entry);
}

void
subs_probe_due (subs_t *self, subs_probe_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    for (subs_room_t *entry = self->probing_head; entry; entry = entry->probe_next) {
        if (entry->wait_ticks > 0) {
            entry->wait_ticks--;
            continue;
        }
        entry->resends++;
        entry->backoff = entry->backoff? MIN (entry->backoff * 2, SUBS_PROBE_BACKOFF_MAX): 1;
        entry->wait_ticks = entry->backoff - 1;
        fn (arg, entry, entry->resends >= SUBS_RESUBSCRIBE_AFTER);
    }
}

const char *
subs_room_name (subs_room_t *self)
{
    assert (self);
    return self->name;
}

size_t
subs_room_refs (subs_room_t *self)
{
    assert (self);
    return self->refs;
}

subs_state_t
subs_room_state (subs_room_t *self)
{
    assert (self);
    return self->state;
}

uint64_t
subs_room_token (subs_room_t *self)
{
    assert (self);
    return self->token;
}

size_t
subs_room_resends (subs_room_t *self)
{
    assert (self);
    return self->resends;
}

void
subs_room_wait (subs_room_t *self, uint64_t id)
{
    assert (self);
    if (self->waiter_count == self->waiter_capacity) {
        size_t capacity = self->waiter_capacity? self->waiter_capacity * 2: SUBS_WAITERS_INITIAL;
        uint64_t *grown = (uint64_t *) realloc (self->waiters, capacity * sizeof (uint64_t));
        assert (grown);
        self->waiters = grown;
        self->waiter_capacity = capacity;
    }
    self->waiters [self->waiter_count++] = id;
}

void
subs_room_unwait (subs_room_t *self, uint64_t id)
{
    assert (self);
    for (size_t index = 0; index < self->waiter_count; index++)
        if (self->waiters [index] == id) {
            self->waiters [index] = self->waiters [--self->waiter_count];
            return;
        }
}

uint64_t *
subs_room_take_waiters (subs_room_t *self, size_t *count_p)
{
    assert (self);
    assert (count_p);
    uint64_t *waiters = self->waiters;
    *count_p = self->waiter_count;
    if (self->waiter_count == 0) {
        free (waiters);
        waiters = NULL;
    }
    self->waiters = NULL;
    self->waiter_count = 0;
    self->waiter_capacity = 0;
    return waiters;
}

uint64_t
subs_room_sequence (subs_room_t *self, uint64_t seq)
{
    assert (self);
    uint64_t missed = 0;
    if (self->seq_known && seq > self->last_seq + 1)
        missed = seq - self->last_seq - 1;
    self->seq_known = true;
    self->last_seq = seq;
    return missed;
}

subs_member_t **
subs_room_members (subs_room_t *self, size_t *count_p)
{
    assert (self);
    assert (count_p);
    *count_p = self->member_count;
    return self->members;
}

void
subs_member_add (subs_room_t *room, subs_member_t *member)
{
    assert (room);
    assert (member);
    if (member->room == room)
        return;
    subs_member_remove (member);
    if (room->member_count == room->member_capacity) {
        size_t capacity = room->member_capacity? room->member_capacity * 2: SUBS_MEMBERS_INITIAL;
        subs_member_t **grown = (subs_member_t **)
            realloc (room->members, capacity * sizeof (subs_member_t *));
        assert (grown);
        room->members = grown;
        room->member_capacity = capacity;
    }
    member->room = room;
    member->index = room->member_count;
    room->members [room->member_count++] = member;
}

void
subs_member_remove (subs_member_t *member)
{
    assert (member);
    subs_room_t *room = member->room;
    if (!room)
        return;
    assert (member->index < room->member_count && room->members [member->index] == member);
    subs_member_t *last = room->members [--room->member_count];
    room->members [member->index] = last;
    last->index = member->index;
    member->room = NULL;
}

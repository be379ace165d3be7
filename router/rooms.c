/*  =========================================================================
    rooms.c - the name -> room registry

    A zhashx keyed by canonical room name that owns its rooms through a
    destructor. The limit is checked only when a room would be created,
    so members can always move between existing rooms.
    =========================================================================
*/
#include "rooms.h"

struct _rooms_t {
    zhashx_t *rooms;        //  canonical name -> room_t (owned)
    size_t max_rooms;       //  creation limit
};

static void
s_room_destroy (void **item_p)
{
    room_destroy ((room_t **) item_p);
}

rooms_t *
rooms_new (size_t max_rooms)
{
    rooms_t *self = (rooms_t *) zmalloc (sizeof (rooms_t));
    assert (self);
    self->rooms = zhashx_new ();
    assert (self->rooms);
    zhashx_set_destructor (self->rooms, s_room_destroy);
    self->max_rooms = max_rooms;
    return self;
}

void
rooms_destroy (rooms_t **self_p)
{
    assert (self_p);
    rooms_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->rooms);
    free (self);
    *self_p = NULL;
}

room_t *
rooms_lookup (rooms_t *self, const char *name)
{
    assert (self);
    assert (name);
    return (room_t *) zhashx_lookup (self->rooms, name);
}

bool
rooms_full (rooms_t *self)
{
    assert (self);
    return zhashx_size (self->rooms) >= self->max_rooms;
}

room_t *
rooms_ensure (rooms_t *self, const char *name)
{
    assert (self);
    assert (name);
    room_t *room = (room_t *) zhashx_lookup (self->rooms, name);
    if (room || rooms_full (self))
        return room;
    room = room_new (name);
    zhashx_insert (self->rooms, name, room);
    return room;
}

int
rooms_remove_if_empty (rooms_t *self, room_t *room)
{
    assert (self);
    assert (room);
    if (room_member_count (room) > 0)
        return -1;
    zhashx_delete (self->rooms, room_name (room));
    return 0;
}

size_t
rooms_size (rooms_t *self)
{
    assert (self);
    return zhashx_size (self->rooms);
}

room_t *
rooms_first (rooms_t *self)
{
    assert (self);
    return (room_t *) zhashx_first (self->rooms);
}

room_t *
rooms_next (rooms_t *self)
{
    assert (self);
    return (room_t *) zhashx_next (self->rooms);
}

static int
s_compare_rooms (const void *item1, const void *item2)
{
    return strcmp (room_name ((room_t *) item1), room_name ((room_t *) item2));
}

zlistx_t *
rooms_sorted (rooms_t *self)
{
    assert (self);
    zlistx_t *list = zlistx_new ();
    assert (list);
    zlistx_set_comparator (list, s_compare_rooms);
    for (room_t *room = rooms_first (self); room; room = rooms_next (self))
        zlistx_add_end (list, room);
    zlistx_sort (list);
    return list;
}

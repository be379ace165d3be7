/*  =========================================================================
    room.c - one room: its members and its sequence number

    Members are a set of session ids (an ids hash whose value is the id
    itself), so joining, leaving and counting are O(1). The sequence
    number lives as long as the room: an emptied room is deleted by the
    registry and a new one starts at 1 again, which gateways read as a
    restart of that room's numbering.
    =========================================================================
*/
#include "room.h"
#include "ids.h"

struct _room_t {
    char name [CHAT_ROOM_MAX + 1];  //  canonical room name
    uint64_t seq;                   //  last sequence number handed out
    zhashx_t *members;              //  session id -> session id
};

room_t *
room_new (const char *name)
{
    assert (name);
    assert (strlen (name) <= CHAT_ROOM_MAX);
    room_t *self = (room_t *) zmalloc (sizeof (room_t));
    assert (self);
    snprintf (self->name, sizeof (self->name), "%s", name);
    self->members = ids_hash_new ();
    return self;
}

void
room_destroy (room_t **self_p)
{
    assert (self_p);
    room_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->members);
    free (self);
    *self_p = NULL;
}

const char *
room_name (room_t *self)
{
    assert (self);
    return self->name;
}

uint64_t
room_seq (room_t *self)
{
    assert (self);
    return self->seq;
}

uint64_t
room_next_seq (room_t *self)
{
    assert (self);
    return ++self->seq;
}

int
room_join (room_t *self, uint64_t session_id)
{
    assert (self);
    assert (session_id);
    return zhashx_insert (self->members, &session_id, IDS_VALUE (session_id));
}

int
room_leave (room_t *self, uint64_t session_id)
{
    assert (self);
    if (!zhashx_lookup (self->members, &session_id))
        return -1;
    zhashx_delete (self->members, &session_id);
    return 0;
}

bool
room_has_member (room_t *self, uint64_t session_id)
{
    assert (self);
    return zhashx_lookup (self->members, &session_id) != NULL;
}

size_t
room_member_count (room_t *self)
{
    assert (self);
    return zhashx_size (self->members);
}

uint64_t
room_first_member (room_t *self)
{
    assert (self);
    return IDS_FROM_VALUE (zhashx_first (self->members));
}

uint64_t
room_next_member (room_t *self)
{
    assert (self);
    return IDS_FROM_VALUE (zhashx_next (self->members));
}

/*  =========================================================================
    room.c - one room: its members and its sequence number

    Members are a doubly linked list through the sessions' own room
    links, so joining, leaving and counting are O(1) and allocate
    nothing. The sequence number lives as long as the room: an emptied
    room is deleted by the registry and a new one continues after the
    last seq its history holds (room_set_seq; 1 for a room without
    history), which gateways read as a restart of that room's numbering
    when it goes back (joins and leaves after the last chat line).
    =========================================================================
*/
#include "room.h"

struct _room_t {
    char name [CHAT_ROOM_MAX + 1];  //  canonical room name
    uint64_t seq;                   //  last sequence number handed out
    session_t *members;             //  first member; the list runs through session->room_next
    size_t member_count;            //  length of that list
};

room_t *
room_new (const char *name)
{
    assert (name);
    assert (strlen (name) <= CHAT_ROOM_MAX);
    room_t *self = (room_t *) zmalloc (sizeof (room_t));
    assert (self);
    snprintf (self->name, sizeof (self->name), "%s", name);
    return self;
}

void
room_destroy (room_t **self_p)
{
    assert (self_p);
    room_t *self = *self_p;
    if (!self)
        return;
    //  Members left behind (only at router exit) are no longer in a room
    for (session_t *member = self->members; member; member = member->room_next)
        member->room = NULL;
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

void
room_set_seq (room_t *self, uint64_t seq)
{
    assert (self);
    assert (seq >= self->seq);
    self->seq = seq;
}

uint64_t
room_next_seq (room_t *self)
{
    assert (self);
    return ++self->seq;
}

int
room_join (room_t *self, session_t *session)
{
    assert (self);
    assert (session);
    if (session->room)
        return -1;
    session->room = self;
    session->room_prev = NULL;
    session->room_next = self->members;
    if (self->members)
        self->members->room_prev = session;
    self->members = session;
    self->member_count++;
    return 0;
}

int
room_leave (room_t *self, session_t *session)
{
    assert (self);
    assert (session);
    if (session->room != self)
        return -1;
    if (session->room_prev)
        session->room_prev->room_next = session->room_next;
    else
        self->members = session->room_next;
    if (session->room_next)
        session->room_next->room_prev = session->room_prev;
    session->room = NULL;
    session->room_prev = session->room_next = NULL;
    self->member_count--;
    return 0;
}

bool
room_has_member (room_t *self, session_t *session)
{
    assert (self);
    assert (session);
    return session->room == self;
}

size_t
room_member_count (room_t *self)
{
    assert (self);
    return self->member_count;
}

session_t *
room_first_member (room_t *self)
{
    assert (self);
    return self->members;
}

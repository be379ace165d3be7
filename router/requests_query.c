/*  =========================================================================
    requests_query.c - the requests that only read: ROOMS, WHO, HISTORY, RECOVER

    Each answers the gateway that asked from what the router holds, and
    changes nothing, so each is served during a drain too. ROOMS and WHO
    are lists cut at the limit asked for; HISTORY and RECOVER read the
    store through history.c: a session's /history page, and the room
    lines a gateway missed (sent to its client 0).
    =========================================================================
*/
#include "requests_private.h"
#include "names.h"

//  Entries a list reply may carry: what the gateway asked for (0 = all),
//  never more than the wire takes.
static size_t
s_list_limit (const wire_msg_t *request)
{
    if (request->limit == 0 || request->limit > WIRE_ENTRIES_MAX)
        return WIRE_ENTRIES_MAX;
    return (size_t) request->limit;
}

//  Rooms: the most members first, then by name.
static int
s_compare_rooms (const void *item1, const void *item2)
{
    room_t *room1 = *(room_t * const *) item1;
    room_t *room2 = *(room_t * const *) item2;
    size_t count1 = room_member_count (room1);
    size_t count2 = room_member_count (room2);
    if (count1 != count2)
        return count1 > count2? -1: 1;
    return strcmp (room_name (room1), room_name (room2));
}

//  ROOMS: the biggest rooms whose name contains the filter, at most the
//  limit asked for, and how many matched; the reply stays small however
//  many rooms there are.
void
router_handle_rooms (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    char filter [CHAT_ROOM_MAX + 1] = "";
    if (*msg->text && router_check_room (self, gateway, msg, msg->text, filter) == -1)
        return;
    size_t count = 0;
    room_t **matches = (room_t **) calloc (rooms_size (self->rooms) + 1, sizeof (room_t *));
    assert (matches);
    for (room_t *room = rooms_first (self->rooms); room; room = rooms_next (self->rooms))
        if (!*filter || strstr (room_name (room), filter))
            matches [count++] = room;
    qsort (matches, count, sizeof (room_t *), s_compare_rooms);

    wire_msg_t *reply = wire_msg_new (WIRE_ROOM_LIST);
    reply->client = msg->client;
    reply->total = count;
    wire_msg_set_text (reply, filter);
    size_t shown = MIN (count, s_list_limit (msg));
    for (size_t index = 0; index < shown; index++)
        wire_msg_add_entry (reply, room_name (matches [index]),
                            room_member_count (matches [index]));
    free (matches);
    router_reply (self, gateway, &reply);
}

static int
s_compare_nicks (const void *item1, const void *item2)
{
    const char *nick1 = *(const char * const *) item1;
    const char *nick2 = *(const char * const *) item2;
    int order = strcasecmp (nick1, nick2);
    return order? order: strcmp (nick1, nick2);
}

//  WHO: the members of the session's room by name, at most the limit
//  asked for, and how many there are.
void
router_handle_who (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = router_require_session (self, gateway, msg);
    if (!session)
        return;
    room_t *room = session->room;
    assert (room);
    size_t count = room_member_count (room);
    const char **nicks = (const char **) calloc (count? count: 1, sizeof (char *));
    assert (nicks);
    size_t index = 0;
    for (session_t *member = room_first_member (room); member && index < count;
         member = member->room_next)
        nicks [index++] = member->nick;
    qsort (nicks, index, sizeof (char *), s_compare_nicks);

    wire_msg_t *reply = wire_msg_new (WIRE_WHO_LIST);
    reply->client = msg->client;
    reply->total = index;
    wire_msg_set_room (reply, room_name (room));
    size_t shown = MIN (index, s_list_limit (msg));
    for (size_t entry = 0; entry < shown; entry++)
        wire_msg_add_entry (reply, nicks [entry], 0);
    free (nicks);
    router_reply (self, gateway, &reply);
}

void
router_handle_history (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    //  Reading history is harmless during a drain too
    session_t *session = router_require_session (self, gateway, msg);
    if (session)
        router_send_page (self, gateway, msg->client, room_name (session->room), msg->seq,
                          msg->limit);
}

//  A gateway missed part of a room's stream: send what history holds of it.
void
router_handle_recover (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    char name [CHAT_ROOM_MAX + 1];
    if (names_canonical_room (msg->room, name) == NAMES_OK)
        router_send_range (self, gateway, name, msg->seq, msg->limit);
}

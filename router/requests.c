/*  =========================================================================
    requests.c - the router's answer to each gateway request

    Every message a gateway sends on the ingress ROUTER is dispatched here
    to one handler per verb. A handler checks the request, updates the
    registries (gateways, sessions, nicks, rooms), answers that gateway on
    ingress and/or publishes once on the PUB socket under the room's
    topic. A gateway that has not said HELLO gets RESYNC instead.

    This file holds the dispatch, the replies and checks every handler
    shares (requests_private.h), and the requests that change a
    session: LOGIN, LOGOUT, JOIN, NICK, SAY/ACTION, PRIVMSG. A gateway's
    own requests (HELLO, PROBE, BYE, DRAINED) are requests_gateway.c's;
    the ones that only read (ROOMS, WHO, HISTORY, RECOVER) are
    requests_query.c's. Every request is looked up by the route it came
    from, and every reply goes to a route.
    =========================================================================
*/
#include "requests_private.h"
#include "names.h"

#define ROUTER_ERROR_DRAINING   "server shutting down"
#define ROUTER_ERROR_NO_SESSION "not logged in"
#define ROUTER_ERROR_ROOMS      "too many rooms"
#define ROUTER_ERROR_SESSIONS   "too many sessions"
#define ROUTER_REASON_REPLACED  "session replaced"
#define ROUTER_REASON_DEFAULT   "disconnected"
#define ROUTER_LOGIN_RESYNC     "resync"

//  ---------------------------------------------------------------------
//  Replies and room events

//  Send a reply to one connection, by route (takes the message). Never
//  blocks: a full or vanished peer loses the reply, which it will notice
//  by itself. The log names the verb, never the route.
void
router_reply_route (router_t *self, const char *route, wire_msg_t **reply_p)
{
    wire_id_t id = (*reply_p)->id;
    if (wire_msg_send_to (reply_p, self->ingress, route, ZMQ_DONTWAIT) == -1
    &&  self->config.verbose)
        zsys_debug ("router: reply dropped verb=%s error=%s",
                    wire_id_name (id), zmq_strerror (errno));
}

//  Send a reply to a registered gateway (takes the message).
void
router_reply (router_t *self, gateway_t *gateway, wire_msg_t **reply_p)
{
    router_reply_route (self, gateway_route (gateway), reply_p);
}

//  Answer a failed request on gateway: JOIN_REFUSED for a JOIN (naming
//  the room asked for), so the gateway can tell it from the ERROR of an
//  earlier request still in flight; ERROR for every other verb. The text
//  for people is formatted like printf (cut at WIRE_TEXT_MAX bytes).
void
router_reply_error (router_t *self, gateway_t *gateway, const wire_msg_t *request,
               const char *format, ...)
{
    char text [WIRE_TEXT_MAX + 1];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    bool join = request->id == WIRE_JOIN;
    wire_msg_t *reply = wire_msg_new (join? WIRE_JOIN_REFUSED: WIRE_ERROR);
    reply->client = request->client;
    if (join)
        wire_msg_set_room (reply, request->room);
    wire_msg_set_text (reply, text);
    router_reply (self, gateway, &reply);
}

//  The room called name, created if need be (NULL if the registry is
//  full). A new room continues its numbering where the store's history
//  of it ends, so seqs keep their meaning across a restart.
static room_t *
s_room_ensure (router_t *self, const char *name)
{
    room_t *room = rooms_lookup (self->rooms, name);
    if (room)
        return room;
    room = rooms_ensure (self->rooms, name);
    if (room) {
        store_room_info_t info;
        store_room_info (self->store, name, &info);
        room_set_seq (room, info.last_seq);
    }
    return room;
}

//  A new numbered room event about session: topic, s, g, c and n filled.
static wire_msg_t *
s_room_event (room_t *room, wire_id_t id, session_t *session)
{
    wire_msg_t *event = wire_msg_new (id);
    wire_msg_set_room (event, room_name (room));
    event->seq = room_next_seq (room);
    wire_msg_set_gateway (event, session->gateway);
    event->client = session->client;
    wire_msg_set_nick (event, session->nick);
    event->total = room_member_count (room);    //  JOINED and LEFT carry it
    return event;
}

static void
s_publish_left (router_t *self, room_t *room, session_t *session, const char *reason)
{
    wire_msg_t *event = s_room_event (room, WIRE_LEFT, session);
    wire_msg_set_text (event, reason);
    router_publish (self, &event);
}

//  Announce session's arrival in room and send it the room's replay,
//  cut at that JOINED's seq (history.c).
static void
s_publish_joined (router_t *self, gateway_t *gateway, room_t *room, session_t *session)
{
    wire_msg_t *event = s_room_event (room, WIRE_JOINED, session);
    uint64_t joined_seq = event->seq;
    router_publish (self, &event);
    router_send_replay (self, gateway, session->client, room_name (room), joined_seq);
}

//  ---------------------------------------------------------------------
//  Sessions

//  The session of (gateway, client), or NULL.
static session_t *
s_session_of (router_t *self, gateway_t *gateway, uint64_t client)
{
    return sessions_lookup (self->sessions, gateway_id (gateway), client);
}

//  Take a session out of its room, announcing LEFT with reason unless
//  reason is NULL; deletes the room if it empties.
static void
s_session_leave_room (router_t *self, session_t *session, const char *reason)
{
    room_t *room = session->room;
    if (!room)
        return;
    if (reason)
        s_publish_left (self, room, session, reason);
    room_leave (room, session);
    rooms_remove_if_empty (self->rooms, room);
}

//  Forget a session everywhere; announce LEFT unless reason is NULL.
void
router_session_drop (router_t *self, session_t *session, const char *reason)
{
    if (self->config.verbose)
        zsys_debug ("router: logout gateway=%s client=%" PRIu64 " nick=%s reason=%s",
                    session->gateway, session->client, session->nick,
                    reason? reason: "silent");
    s_session_leave_room (self, session, reason);
    nicks_remove (self->nicks, session);
    sessions_remove (self->sessions, session);
}

//  Check a room name from the wire into canonical form; on failure send
//  ERROR "invalid room name: <reason>" and return -1.
int
router_check_room (router_t *self, gateway_t *gateway, const wire_msg_t *request,
              const char *name, char *room)
{
    names_status_t status = names_canonical_room (name, room);
    if (status == NAMES_OK)
        return 0;
    ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_ROOM_NAME);
    router_reply_error (self, gateway, request, "invalid room name: %s", names_status_text (status));
    return -1;
}

//  Refuse a request while draining; returns true if it was refused.
static bool
s_refuse_if_draining (router_t *self, gateway_t *gateway, const wire_msg_t *request)
{
    if (self->draining) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_DRAINING);
        router_reply_error (self, gateway, request, ROUTER_ERROR_DRAINING);
    }
    return self->draining;
}

//  The session of a request, or NULL after answering ERROR.
session_t *
router_require_session (router_t *self, gateway_t *gateway, const wire_msg_t *request)
{
    session_t *session = s_session_of (self, gateway, request->client);
    if (!session) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_NO_SESSION);
        router_reply_error (self, gateway, request, ROUTER_ERROR_NO_SESSION);
    }
    return session;
}

//  The session of a request that changes state (JOIN, NICK, SAY, ...),
//  or NULL after answering ERROR: refused while draining, or not logged in.
static session_t *
s_require_active_session (router_t *self, gateway_t *gateway, const wire_msg_t *request)
{
    if (s_refuse_if_draining (self, gateway, request))
        return NULL;
    return router_require_session (self, gateway, request);
}

//  ---------------------------------------------------------------------
//  Session requests, one handler per verb

//  Pick the nickname for a LOGIN: the requested one if valid and free,
//  else a fresh guest nickname.
static void
s_login_nick (router_t *self, const char *requested, char *nick)
{
    if (*requested && names_check_nick (requested) == NAMES_OK
    &&  !nicks_lookup (self->nicks, requested))
        snprintf (nick, CHAT_NICK_MAX + 1, "%s", requested);
    else
        nicks_guest (self->nicks, nick);
}

static void
s_handle_login (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    if (s_refuse_if_draining (self, gateway, msg))
        return;
    //  A resync LOGIN is silent (the rooms never saw the session leave),
    //  unless its gateway had been dropped as lost meanwhile
    bool resync = streq (msg->text, ROUTER_LOGIN_RESYNC) && !gateway_rejoined (gateway);
    char name [CHAT_ROOM_MAX + 1];
    const char *requested_room = *msg->room? msg->room: CHAT_DEFAULT_ROOM;
    if (router_check_room (self, gateway, msg, requested_room, name) == -1)
        return;

    //  A second LOGIN for a client replaces its session (the gateway
    //  re-registering it); the new one is announced unless resync.
    session_t *session = s_session_of (self, gateway, msg->client);
    if (session)
        router_session_drop (self, session, resync? NULL: ROUTER_REASON_REPLACED);

    if (sessions_full (self->sessions)) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_SESSIONS_FULL);
        router_reply_error (self, gateway, msg, ROUTER_ERROR_SESSIONS);
        return;
    }
    room_t *room = s_room_ensure (self, name);
    if (!room) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_ROOMS_FULL);
        router_reply_error (self, gateway, msg, ROUTER_ERROR_ROOMS);
        return;
    }
    session = sessions_add (self->sessions, gateway_id (gateway), msg->client);
    assert (session);
    char nick [CHAT_NICK_MAX + 1];
    s_login_nick (self, msg->nick, nick);
    int rc = nicks_insert (self->nicks, session, nick);
    assert (rc == 0);
    room_join (room, session);
    if (self->config.verbose)
        zsys_debug ("router: login gateway=%s client=%" PRIu64 " nick=%s room=%s%s",
                    session->gateway, session->client, session->nick, name,
                    resync? " resync": "");

    wire_msg_t *reply = wire_msg_new (WIRE_LOGGED_IN);
    reply->client = msg->client;
    wire_msg_set_nick (reply, session->nick);
    wire_msg_set_room (reply, name);
    router_reply (self, gateway, &reply);
    if (!resync)
        s_publish_joined (self, gateway, room, session);
}

static void
s_handle_logout (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_session_of (self, gateway, msg->client);
    if (session)
        router_session_drop (self, session, *msg->text? msg->text: ROUTER_REASON_DEFAULT);
}

static void
s_handle_join (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_require_active_session (self, gateway, msg);
    if (!session)
        return;
    char name [CHAT_ROOM_MAX + 1];
    if (router_check_room (self, gateway, msg, msg->room, name) == -1)
        return;
    room_t *old_room = session->room;
    if (old_room && streq (name, room_name (old_room))) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_SAME_ROOM);
        router_reply_error (self, gateway, msg, "you are already in #%s", name);
        return;
    }
    //  A full registry still lets the last member of a room move on,
    //  since the old room disappears as the new one appears.
    bool frees_one = old_room && room_member_count (old_room) == 1;
    if (!rooms_lookup (self->rooms, name) && rooms_full (self->rooms) && !frees_one) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_ROOMS_FULL);
        router_reply_error (self, gateway, msg, ROUTER_ERROR_ROOMS);
        return;
    }
    char text [WIRE_TEXT_MAX + 1];
    snprintf (text, sizeof (text), "joined #%s", name);
    s_session_leave_room (self, session, text);
    room_t *room = s_room_ensure (self, name);
    assert (room);
    room_join (room, session);
    s_publish_joined (self, gateway, room, session);
}

static void
s_handle_nick (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_require_active_session (self, gateway, msg);
    if (!session)
        return;
    names_status_t status = names_check_chosen_nick (msg->nick);
    if (status != NAMES_OK) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_NICK_INVALID);
        router_reply_error (self, gateway, msg, "invalid nickname: %s",
                       names_status_text (status));
        return;
    }
    char old_nick [CHAT_NICK_MAX + 1];
    snprintf (old_nick, sizeof (old_nick), "%s", session->nick);
    if (nicks_rename (self->nicks, session, msg->nick) == -1) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_NICK_TAKEN);
        router_reply_error (self, gateway, msg, "nickname taken: %s", msg->nick);
        return;
    }
    bool changed = !streq (old_nick, session->nick);
    if (changed && session->room) {
        wire_msg_t *event = s_room_event (session->room, WIRE_RENAMED, session);
        wire_msg_set_nick (event, old_nick);
        wire_msg_set_target (event, session->nick);
        router_publish (self, &event);
    }
    wire_msg_t *reply = wire_msg_new (WIRE_NICKED);
    reply->client = msg->client;
    wire_msg_set_nick (reply, session->nick);
    router_reply (self, gateway, &reply);
}

//  SAY and ACTION: the hot path. One hash lookup finds the session, which
//  points at its room; the event borrows every string it publishes.
static void
s_handle_say (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_require_active_session (self, gateway, msg);
    if (!session)
        return;
    size_t size = strlen (msg->text);
    if (size == 0 || size > WIRE_TEXT_MAX)
        return;             //  the gateway never sends these
    room_t *room = session->room;
    assert (room);
    //  On the stack, every string borrowed: publishing copies nothing
    wire_msg_t event = {
        .id = msg->id == WIRE_SAY? WIRE_CHAT: WIRE_EMOTE,
        .room = (char *) room_name (room),
        .seq = room_next_seq (room),
        .gateway = (char *) session->gateway,
        .client = session->client,
        .nick = session->nick,
        .text = msg->text
    };
    if (self->config.verbose)
        zsys_debug ("router: %s room=%s seq=%" PRIu64 " nick=%s", wire_id_name (event.id),
                    room_name (room), event.seq, session->nick);
    ROUTER_COUNT (self, ROUTER_METRIC_LINES);
    router_publish_borrowed (self, &event);
    //  History: the same seq, so a gateway can merge replay and live
    store_record_t record = {
        .room = event.room,
        .seq = event.seq,
        .time = zclock_time (),
        .kind = msg->id == WIRE_SAY? STORE_CHAT: STORE_ACTION,
        .nick = event.nick,
        .text = event.text,
        .gateway = event.gateway,
        .client = event.client
    };
    if (store_append (self->store, &record) == -1)
        zsys_warning ("router: history append refused room=%s seq=%" PRIu64,
                      room_name (room), event.seq);
}

static void
s_handle_privmsg (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *sender = s_require_active_session (self, gateway, msg);
    if (!sender)
        return;
    session_t *target = nicks_lookup (self->nicks, msg->nick);
    if (!target) {
        ROUTER_COUNT (self, ROUTER_METRIC_REFUSED_NO_SUCH_NICK);
        router_reply_error (self, gateway, msg, "no such nickname: %s", msg->nick);
        return;
    }
    //  A session's gateway is registered for as long as the session lives
    gateway_t *target_gateway = gateways_lookup (self->gateways, target->gateway);
    assert (target_gateway);
    wire_msg_t *delivery = wire_msg_new (WIRE_PRIVATE);
    delivery->client = target->client;
    wire_msg_set_nick (delivery, sender->nick);
    wire_msg_set_text (delivery, msg->text);
    router_reply (self, target_gateway, &delivery);

    wire_msg_t *receipt = wire_msg_new (WIRE_PRIVATE_SENT);
    receipt->client = msg->client;
    wire_msg_set_nick (receipt, target->nick);
    receipt->text = msg->text;
    msg->text = NULL;
    router_reply (self, gateway, &receipt);
}

int
router_handle_ingress (router_t *self)
{
    char route [WIRE_GATEWAY_MAX + 1];
    wire_msg_t *msg = wire_msg_read (self->ingress, route, ZMQ_DONTWAIT);
    if (!msg) {
        if (errno != EPROTO)
            return -1;          //  nothing waiting (or the socket is closing)
        ROUTER_COUNT (self, ROUTER_METRIC_MALFORMED);
        if (self->config.verbose)
            zsys_debug ("router: dropped malformed request");
        return 0;
    }
    ROUTER_COUNT (self, router_metrics_request (msg->id));
    gateway_t *gateway = gateways_by_route (self->gateways, route);
    if (msg->id == WIRE_HELLO)
        router_handle_hello (self, route, msg);
    else
    if (!gateway)
        router_send_resync (self, route);
    else {
        gateway_touch (gateway, self->now);
        switch (msg->id) {
            case WIRE_HEARTBEAT:                                               break;
            case WIRE_LOGIN:    s_handle_login (self, gateway, msg);           break;
            case WIRE_LOGOUT:   s_handle_logout (self, gateway, msg);          break;
            case WIRE_JOIN:     s_handle_join (self, gateway, msg);            break;
            case WIRE_NICK:     s_handle_nick (self, gateway, msg);            break;
            case WIRE_SAY:
            case WIRE_ACTION:   s_handle_say (self, gateway, msg);             break;
            case WIRE_PRIVMSG:  s_handle_privmsg (self, gateway, msg);         break;
            case WIRE_ROOMS:    router_handle_rooms (self, gateway, msg);      break;
            case WIRE_WHO:      router_handle_who (self, gateway, msg);        break;
            case WIRE_PROBE:    router_handle_probe (self, gateway, msg);      break;
            case WIRE_HISTORY:  router_handle_history (self, gateway, msg);    break;
            case WIRE_RECOVER:  router_handle_recover (self, gateway, msg);    break;
            case WIRE_BYE:      router_handle_bye (self, gateway);             break;
            case WIRE_DRAINED:  router_handle_drained (self, gateway);         break;
            default:
                if (self->config.verbose)
                    zsys_debug ("router: unexpected verb=%s gateway=%s",
                                wire_id_name (msg->id), gateway_id (gateway));
        }
    }
    wire_msg_destroy (&msg);
    return 0;
}

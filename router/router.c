/*  =========================================================================
    router.c - the zchat router: sockets, loop and one handler per verb

    Wires the registries together: gateways (who is connected), sessions
    (who is logged in), nicks (who owns which nickname), rooms (who is
    where, and each room's sequence number). Every request from a gateway
    arrives on the ingress ROUTER, is dispatched to one s_handle_<verb>,
    and is answered on ingress (to that gateway) and/or published once on
    the PUB socket under the room's topic.

    The loop is a zpoller over three sockets (plus the actor pipe in
    tests); timers (BEAT, gateway timeouts, the drain deadline) are
    computed from zclock_mono each pass. Ingress is read in batches while
    the socket stays readable, so a busy gateway costs one poll per batch.
    =========================================================================
*/
#include "router.h"
#include "wire.h"
#include "names.h"
#include "ids.h"
#include "control.h"
#include "gateways.h"
#include "sessions.h"
#include "rooms.h"
#include "nicks.h"
#include <sys/random.h>

#define ROUTER_LINGER_MS        100     //  let last replies out at exit
#define ROUTER_INGRESS_BATCH    1000    //  requests read per poll wake-up
#define ROUTER_CHECK_MS         100     //  how often gateway timeouts are checked
#define ROUTER_RESYNC_MS        1000    //  at most one RESYNC per unknown gateway per this
#define ROUTER_UNKNOWN_MAX      10000   //  unknown gateways remembered for that limit
#define ROUTER_MS_PER_S         1000
#define ROUTER_EPOCH_MASK       INT64_MAX   //  epochs are 63-bit

#define ROUTER_TEXT_SHUTDOWN    "Server shutting down..."
#define ROUTER_ERROR_DRAINING   "server shutting down"
#define ROUTER_ERROR_NO_SESSION "not logged in"
#define ROUTER_ERROR_ROOMS      "too many rooms"
#define ROUTER_ERROR_SESSIONS   "too many sessions"
#define ROUTER_REASON_LOST      "connection lost"
#define ROUTER_REASON_BYE       "gateway shut down"
#define ROUTER_REASON_RESTART   "gateway restarted"
#define ROUTER_REASON_REPLACED  "session replaced"
#define ROUTER_REASON_DEFAULT   "disconnected"
#define ROUTER_LOGIN_RESYNC     "resync"

struct _router_t {
    router_config_t config;         //  settings (strings borrowed from caller)
    uint64_t epoch;                 //  random id of this run
    zsock_t *ingress;               //  ROUTER: gateway requests and replies
    zsock_t *publish;               //  PUB: room traffic and control beats
    control_t *control;             //  ROUTER: zchat-ctl
    char *ingress_endpoint;         //  bound endpoints, ports resolved
    char *publish_endpoint;
    gateways_t *gateways;           //  registered gateways
    sessions_t *sessions;           //  logged-in users
    nicks_t *nicks;                 //  nickname -> session id
    rooms_t *rooms;                 //  room name -> room
    zhashx_t *unknown;              //  unregistered routing id -> last RESYNC time
    bool draining;                  //  drain started: refuse new lines
    bool finished;                  //  drain over: leave the loop
    int64_t now;                    //  zclock_mono at the start of this pass
    int64_t next_beat;              //  when to publish the next BEAT
    int64_t next_check;             //  when to check gateway timeouts
    int64_t drain_deadline;         //  when to stop waiting for DRAINED
};

void
router_config_defaults (router_config_t *config)
{
    assert (config);
    memset (config, 0, sizeof (*config));
    config->ingress = CHAT_DEFAULT_INGRESS;
    config->publish = CHAT_DEFAULT_PUBLISH;
    config->control = CHAT_DEFAULT_CONTROL;
    config->gateway_timeout_s = CHAT_GATEWAY_TIMEOUT_S;
    config->drain_timeout_s = CHAT_DRAIN_TIMEOUT_S;
    config->heartbeat_ms = CHAT_HEARTBEAT_MS;
    config->pub_hwm = CHAT_PUB_HWM;
    config->max_rooms = CHAT_MAX_ROOMS;
    config->max_sessions = CHAT_MAX_SESSIONS;
}

static uint64_t
s_new_epoch (void)
{
    uint64_t epoch = 0;
    if (getrandom (&epoch, sizeof (epoch), 0) != sizeof (epoch))
        epoch = (uint64_t) zclock_time () ^ ((uint64_t) getpid () << (sizeof (pid_t) * CHAR_BIT));
    epoch &= ROUTER_EPOCH_MASK;
    return epoch? epoch: 1;
}

//  Create a socket of type, set up, bound to endpoint; NULL on failure.
static zsock_t *
s_bind (int type, const char *endpoint, int hwm, char **bound_p)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    zsock_set_linger (sock, ROUTER_LINGER_MS);
    zsock_set_sndhwm (sock, hwm);
    if (type == ZMQ_ROUTER) {
        zsock_set_rcvhwm (sock, hwm);
        //  Unicast to a vanished gateway fails at once (EHOSTUNREACH)
        //  instead of vanishing; a restarted gateway with the same id
        //  takes over its old routing id.
        zsock_set_router_mandatory (sock, 1);
        zsock_set_router_handover (sock, 1);
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        zsys_error ("router: bind failed endpoint=%s error=%s", endpoint, zmq_strerror (errno));
        zsock_destroy (&sock);
        return NULL;
    }
    *bound_p = zsock_last_endpoint (sock);
    assert (*bound_p);
    return sock;
}

router_t *
router_new (const router_config_t *config)
{
    assert (config);
    router_t *self = (router_t *) zmalloc (sizeof (router_t));
    assert (self);
    self->config = *config;
    self->epoch = s_new_epoch ();
    self->gateways = gateways_new ();
    self->sessions = sessions_new ((size_t) config->max_sessions);
    self->nicks = nicks_new ();
    self->rooms = rooms_new ((size_t) config->max_rooms);
    self->unknown = zhashx_new ();
    assert (self->unknown);

    self->ingress = s_bind (ZMQ_ROUTER, config->ingress, CHAT_UPLINK_HWM,
                            &self->ingress_endpoint);
    if (self->ingress)
        self->publish = s_bind (ZMQ_PUB, config->publish, (int) config->pub_hwm,
                                &self->publish_endpoint);
    if (self->publish)
        self->control = control_new (config->control);
    if (!self->control) {
        router_destroy (&self);
        return NULL;
    }
    self->now = zclock_mono ();
    self->next_beat = self->now;
    self->next_check = self->now + ROUTER_CHECK_MS;
    zsys_info ("router: ready ingress=%s publish=%s control=%s",
               self->ingress_endpoint, self->publish_endpoint,
               control_endpoint (self->control));
    return self;
}

void
router_destroy (router_t **self_p)
{
    assert (self_p);
    router_t *self = *self_p;
    if (!self)
        return;
    control_destroy (&self->control);
    zsock_destroy (&self->publish);
    zsock_destroy (&self->ingress);
    zstr_free (&self->publish_endpoint);
    zstr_free (&self->ingress_endpoint);
    zhashx_destroy (&self->unknown);
    rooms_destroy (&self->rooms);
    nicks_destroy (&self->nicks);
    sessions_destroy (&self->sessions);
    gateways_destroy (&self->gateways);
    free (self);
    *self_p = NULL;
}

const char *
router_ingress_endpoint (router_t *self)
{
    assert (self);
    return self->ingress_endpoint;
}

const char *
router_publish_endpoint (router_t *self)
{
    assert (self);
    return self->publish_endpoint;
}

const char *
router_control_endpoint (router_t *self)
{
    assert (self);
    return control_endpoint (self->control);
}

uint64_t
router_epoch (router_t *self)
{
    assert (self);
    return self->epoch;
}

//  ---------------------------------------------------------------------
//  Sending

//  Send a reply to one gateway (takes the message). Never blocks: a full
//  or vanished gateway loses the reply, which it will notice by itself.
static void
s_reply (router_t *self, const char *gateway_id, wire_msg_t **reply_p)
{
    wire_id_t id = (*reply_p)->id;
    if (wire_msg_send_to (reply_p, self->ingress, gateway_id, ZMQ_DONTWAIT) == -1
    &&  self->config.verbose)
        zsys_debug ("router: reply dropped gateway=%s verb=%s error=%s",
                    gateway_id, wire_id_name (id), zmq_strerror (errno));
}

static void
s_reply_error (router_t *self, const char *gateway_id, uint64_t client, const char *text)
{
    wire_msg_t *reply = wire_msg_new (WIRE_ERROR);
    reply->client = client;
    wire_msg_set_text (reply, text);
    s_reply (self, gateway_id, &reply);
}

//  Publish a message (takes it). PUB never blocks; past the HWM a slow
//  subscriber loses messages and counts the gap from sequence numbers.
static void
s_publish (router_t *self, wire_msg_t **msg_p)
{
    wire_msg_send (msg_p, self->publish, 0);
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
    return event;
}

static void
s_publish_left (router_t *self, room_t *room, session_t *session, const char *reason)
{
    wire_msg_t *event = s_room_event (room, WIRE_LEFT, session);
    wire_msg_set_text (event, reason);
    s_publish (self, &event);
}

static void
s_publish_joined (router_t *self, room_t *room, session_t *session)
{
    wire_msg_t *event = s_room_event (room, WIRE_JOINED, session);
    s_publish (self, &event);
}

static void
s_publish_control (router_t *self, wire_id_t id)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->epoch = self->epoch;
    s_publish (self, &msg);
}

//  ---------------------------------------------------------------------
//  Sessions

//  The session of (gateway, client), or NULL.
static session_t *
s_session_of (router_t *self, gateway_t *gateway, uint64_t client)
{
    uint64_t session_id = gateway_session (gateway, client);
    return session_id? sessions_lookup (self->sessions, session_id): NULL;
}

//  Take a session out of its room, announcing LEFT with reason unless
//  reason is NULL; deletes the room if it empties.
static void
s_session_leave_room (router_t *self, session_t *session, const char *reason)
{
    room_t *room = rooms_lookup (self->rooms, session->room);
    if (!room)
        return;
    if (reason)
        s_publish_left (self, room, session, reason);
    room_leave (room, session->id);
    rooms_remove_if_empty (self->rooms, room);
    session->room [0] = 0;
}

//  Forget a session everywhere; announce LEFT unless reason is NULL.
static void
s_session_drop (router_t *self, session_t *session, const char *reason)
{
    if (self->config.verbose)
        zsys_debug ("router: logout gateway=%s client=%" PRIu64 " nick=%s reason=%s",
                    session->gateway, session->client, session->nick,
                    reason? reason: "silent");
    s_session_leave_room (self, session, reason);
    nicks_remove (self->nicks, session->nick);
    gateway_t *gateway = gateways_lookup (self->gateways, session->gateway);
    if (gateway)
        gateway_remove_session (gateway, session->client);
    sessions_remove (self->sessions, session->id);
}

//  Forget a gateway and all its sessions, announcing each LEFT with
//  reason unless reason is NULL. Logs event (lost, left, ...).
static void
s_gateway_drop (router_t *self, gateway_t *gateway, const char *event, const char *reason)
{
    size_t count = 0;
    uint64_t *session_ids = gateway_session_ids (gateway, &count);
    for (size_t index = 0; index < count; index++) {
        session_t *session = sessions_lookup (self->sessions, session_ids [index]);
        if (session)
            s_session_drop (self, session, reason);
    }
    free (session_ids);
    zsys_info ("router: gateway %s id=%s sessions=%zu", event, gateway_id (gateway), count);
    gateways_remove (self->gateways, gateway_id (gateway));
}

//  Check a room name from the wire into canonical form; on failure send
//  ERROR "invalid room name: <reason>" and return -1.
static int
s_check_room (router_t *self, gateway_t *gateway, uint64_t client,
              const char *name, char *room)
{
    names_status_t status = names_canonical_room (name, room);
    if (status == NAMES_OK)
        return 0;
    char text [WIRE_TEXT_MAX + 1];
    snprintf (text, sizeof (text), "invalid room name: %s", names_status_text (status));
    s_reply_error (self, gateway_id (gateway), client, text);
    return -1;
}

//  Refuse a request while draining; returns true if it was refused.
static bool
s_refuse_if_draining (router_t *self, gateway_t *gateway, uint64_t client)
{
    if (self->draining)
        s_reply_error (self, gateway_id (gateway), client, ROUTER_ERROR_DRAINING);
    return self->draining;
}

//  The session of a request, or NULL after answering ERROR.
static session_t *
s_require_session (router_t *self, gateway_t *gateway, uint64_t client)
{
    session_t *session = s_session_of (self, gateway, client);
    if (!session)
        s_reply_error (self, gateway_id (gateway), client, ROUTER_ERROR_NO_SESSION);
    return session;
}

//  ---------------------------------------------------------------------
//  Handlers, one per verb

static void
s_handle_hello (router_t *self, const char *routing_id, wire_msg_t *msg)
{
    if (!*msg->gateway || !streq (msg->gateway, routing_id)) {
        zsys_warning ("router: hello refused id=%s reason=id-mismatch", msg->gateway);
        return;
    }
    gateway_t *gateway = gateways_lookup (self->gateways, routing_id);
    if (gateway)
        s_gateway_drop (self, gateway, "restarted", ROUTER_REASON_RESTART);
    gateway = gateways_add (self->gateways, routing_id, msg->text, self->now);
    assert (gateway);
    zhashx_delete (self->unknown, routing_id);
    zsys_info ("router: gateway registered id=%s name=%s", routing_id, msg->text);

    wire_msg_t *reply = wire_msg_new (WIRE_WELCOME);
    reply->epoch = self->epoch;
    s_reply (self, routing_id, &reply);
}

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
    if (s_refuse_if_draining (self, gateway, msg->client))
        return;
    bool resync = streq (msg->text, ROUTER_LOGIN_RESYNC);
    char name [CHAT_ROOM_MAX + 1];
    const char *requested_room = *msg->room? msg->room: CHAT_DEFAULT_ROOM;
    if (s_check_room (self, gateway, msg->client, requested_room, name) == -1)
        return;

    //  A second LOGIN for a client replaces its session (the gateway
    //  re-registering it); the new one is announced unless resync.
    session_t *session = s_session_of (self, gateway, msg->client);
    if (session)
        s_session_drop (self, session, resync? NULL: ROUTER_REASON_REPLACED);

    if (sessions_full (self->sessions)) {
        s_reply_error (self, gateway_id (gateway), msg->client, ROUTER_ERROR_SESSIONS);
        return;
    }
    room_t *room = rooms_ensure (self->rooms, name);
    if (!room) {
        s_reply_error (self, gateway_id (gateway), msg->client, ROUTER_ERROR_ROOMS);
        return;
    }
    session = sessions_add (self->sessions, gateway_id (gateway), msg->client);
    assert (session);
    s_login_nick (self, msg->nick, session->nick);
    snprintf (session->room, sizeof (session->room), "%s", name);
    nicks_insert (self->nicks, session->nick, session->id);
    gateway_add_session (gateway, msg->client, session->id);
    room_join (room, session->id);
    if (self->config.verbose)
        zsys_debug ("router: login gateway=%s client=%" PRIu64 " nick=%s room=%s%s",
                    session->gateway, session->client, session->nick, name,
                    resync? " resync": "");

    wire_msg_t *reply = wire_msg_new (WIRE_LOGGED_IN);
    reply->client = msg->client;
    wire_msg_set_nick (reply, session->nick);
    wire_msg_set_room (reply, name);
    s_reply (self, gateway_id (gateway), &reply);
    if (!resync)
        s_publish_joined (self, room, session);
}

static void
s_handle_logout (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_session_of (self, gateway, msg->client);
    if (session)
        s_session_drop (self, session, *msg->text? msg->text: ROUTER_REASON_DEFAULT);
}

static void
s_handle_join (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    if (s_refuse_if_draining (self, gateway, msg->client))
        return;
    session_t *session = s_require_session (self, gateway, msg->client);
    if (!session)
        return;
    char name [CHAT_ROOM_MAX + 1];
    if (s_check_room (self, gateway, msg->client, msg->room, name) == -1)
        return;
    char text [WIRE_TEXT_MAX + 1];
    if (streq (name, session->room)) {
        snprintf (text, sizeof (text), "you are already in #%s", name);
        s_reply_error (self, gateway_id (gateway), msg->client, text);
        return;
    }
    //  A full registry still lets the last member of a room move on,
    //  since the old room disappears as the new one appears.
    room_t *old_room = rooms_lookup (self->rooms, session->room);
    bool frees_one = old_room && room_member_count (old_room) == 1;
    if (!rooms_lookup (self->rooms, name) && rooms_full (self->rooms) && !frees_one) {
        s_reply_error (self, gateway_id (gateway), msg->client, ROUTER_ERROR_ROOMS);
        return;
    }
    snprintf (text, sizeof (text), "joined #%s", name);
    s_session_leave_room (self, session, text);
    room_t *room = rooms_ensure (self->rooms, name);
    assert (room);
    snprintf (session->room, sizeof (session->room), "%s", name);
    room_join (room, session->id);
    s_publish_joined (self, room, session);
}

static void
s_handle_nick (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    if (s_refuse_if_draining (self, gateway, msg->client))
        return;
    session_t *session = s_require_session (self, gateway, msg->client);
    if (!session)
        return;
    char text [WIRE_TEXT_MAX + 1];
    names_status_t status = names_check_nick (msg->nick);
    if (status != NAMES_OK) {
        snprintf (text, sizeof (text), "invalid nickname: %s", names_status_text (status));
        s_reply_error (self, gateway_id (gateway), msg->client, text);
        return;
    }
    if (nicks_rename (self->nicks, session->nick, msg->nick, session->id) == -1) {
        snprintf (text, sizeof (text), "nickname taken: %s", msg->nick);
        s_reply_error (self, gateway_id (gateway), msg->client, text);
        return;
    }
    bool changed = !streq (session->nick, msg->nick);
    room_t *room = rooms_lookup (self->rooms, session->room);
    if (changed && room) {
        wire_msg_t *event = s_room_event (room, WIRE_RENAMED, session);
        wire_msg_set_target (event, msg->nick);
        s_publish (self, &event);
    }
    snprintf (session->nick, sizeof (session->nick), "%s", msg->nick);
    wire_msg_t *reply = wire_msg_new (WIRE_NICKED);
    reply->client = msg->client;
    wire_msg_set_nick (reply, session->nick);
    s_reply (self, gateway_id (gateway), &reply);
}

//  SAY and ACTION: the hot path. Two hash lookups find the session, one
//  finds the room, and the text moves into the published message.
static void
s_handle_say (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    if (s_refuse_if_draining (self, gateway, msg->client))
        return;
    session_t *session = s_require_session (self, gateway, msg->client);
    if (!session)
        return;
    size_t size = strlen (msg->text);
    if (size == 0 || size > WIRE_TEXT_MAX)
        return;             //  the gateway never sends these
    room_t *room = rooms_lookup (self->rooms, session->room);
    assert (room);
    wire_msg_t *event = s_room_event (room, msg->id == WIRE_SAY? WIRE_CHAT: WIRE_EMOTE,
                                      session);
    event->text = msg->text;
    msg->text = NULL;
    if (self->config.verbose)
        zsys_debug ("router: %s room=%s seq=%" PRIu64 " nick=%s", wire_id_name (event->id),
                    room_name (room), event->seq, session->nick);
    s_publish (self, &event);
}

static void
s_handle_privmsg (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    if (s_refuse_if_draining (self, gateway, msg->client))
        return;
    session_t *sender = s_require_session (self, gateway, msg->client);
    if (!sender)
        return;
    uint64_t target_id = nicks_lookup (self->nicks, msg->nick);
    session_t *target = target_id? sessions_lookup (self->sessions, target_id): NULL;
    if (!target) {
        char text [WIRE_TEXT_MAX + 1];
        snprintf (text, sizeof (text), "no such nickname: %s", msg->nick);
        s_reply_error (self, gateway_id (gateway), msg->client, text);
        return;
    }
    wire_msg_t *delivery = wire_msg_new (WIRE_PRIVATE);
    delivery->client = target->client;
    wire_msg_set_nick (delivery, sender->nick);
    wire_msg_set_text (delivery, msg->text);
    s_reply (self, target->gateway, &delivery);

    wire_msg_t *receipt = wire_msg_new (WIRE_PRIVATE_SENT);
    receipt->client = msg->client;
    wire_msg_set_nick (receipt, target->nick);
    receipt->text = msg->text;
    msg->text = NULL;
    s_reply (self, gateway_id (gateway), &receipt);
}

static void
s_handle_rooms (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    wire_msg_t *reply = wire_msg_new (WIRE_ROOM_LIST);
    reply->client = msg->client;
    zlistx_t *sorted = rooms_sorted (self->rooms);
    for (room_t *room = (room_t *) zlistx_first (sorted); room;
         room = (room_t *) zlistx_next (sorted))
        wire_msg_add_entry (reply, room_name (room), room_member_count (room));
    zlistx_destroy (&sorted);
    s_reply (self, gateway_id (gateway), &reply);
}

static int
s_compare_nicks (const void *item1, const void *item2)
{
    const char *nick1 = *(const char * const *) item1;
    const char *nick2 = *(const char * const *) item2;
    int order = strcasecmp (nick1, nick2);
    return order? order: strcmp (nick1, nick2);
}

static void
s_handle_who (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    session_t *session = s_require_session (self, gateway, msg->client);
    if (!session)
        return;
    room_t *room = rooms_lookup (self->rooms, session->room);
    assert (room);
    size_t count = room_member_count (room);
    const char **nicks = (const char **) calloc (count? count: 1, sizeof (char *));
    assert (nicks);
    size_t index = 0;
    for (uint64_t member = room_first_member (room); member && index < count;
         member = room_next_member (room)) {
        session_t *other = sessions_lookup (self->sessions, member);
        if (other)
            nicks [index++] = other->nick;
    }
    qsort (nicks, index, sizeof (char *), s_compare_nicks);

    wire_msg_t *reply = wire_msg_new (WIRE_WHO_LIST);
    reply->client = msg->client;
    wire_msg_set_room (reply, room_name (room));
    for (size_t entry = 0; entry < index; entry++)
        wire_msg_add_entry (reply, nicks [entry], 0);
    free (nicks);
    s_reply (self, gateway_id (gateway), &reply);
}

static void
s_handle_probe (router_t *self, gateway_t *gateway, wire_msg_t *msg)
{
    char name [CHAT_ROOM_MAX + 1];
    if (names_canonical_room (msg->room, name) != NAMES_OK) {
        if (self->config.verbose)
            zsys_debug ("router: probe refused gateway=%s", gateway_id (gateway));
        return;
    }
    wire_msg_t *probed = wire_msg_new (WIRE_PROBED);
    wire_msg_set_room (probed, name);
    wire_msg_set_gateway (probed, gateway_id (gateway));
    probed->client = msg->client;
    s_publish (self, &probed);
}

static void
s_handle_bye (router_t *self, gateway_t *gateway)
{
    s_gateway_drop (self, gateway, "left", ROUTER_REASON_BYE);
}

//  DRAINED: the gateway has closed its clients and is exiting. During
//  a drain its sessions go silently (everyone is leaving anyway).
static void
s_handle_drained (router_t *self, gateway_t *gateway)
{
    s_gateway_drop (self, gateway, "drained", self->draining? NULL: ROUTER_REASON_BYE);
}

//  Answer an unregistered gateway with RESYNC, at most once per
//  ROUTER_RESYNC_MS each, so a stream of its requests costs little.
static void
s_send_resync (router_t *self, const char *routing_id)
{
    int64_t last = (int64_t) IDS_FROM_VALUE (zhashx_lookup (self->unknown, routing_id));
    if (last && self->now - last < ROUTER_RESYNC_MS)
        return;
    if (zhashx_size (self->unknown) >= ROUTER_UNKNOWN_MAX)
        zhashx_purge (self->unknown);
    zhashx_update (self->unknown, routing_id, IDS_VALUE (self->now? self->now: 1));
    if (self->config.verbose)
        zsys_debug ("router: resync sent id=%s", routing_id);
    wire_msg_t *reply = wire_msg_new (WIRE_RESYNC);
    reply->epoch = self->epoch;
    s_reply (self, routing_id, &reply);
}

//  Read and dispatch one ingress message.
static void
s_handle_ingress (router_t *self)
{
    char *routing_id = NULL;
    wire_msg_t *msg = wire_msg_recv_from (self->ingress, &routing_id);
    if (!msg)
        return;
    gateway_t *gateway = gateways_lookup (self->gateways, routing_id);
    if (msg->id == WIRE_HELLO)
        s_handle_hello (self, routing_id, msg);
    else
    if (!gateway)
        s_send_resync (self, routing_id);
    else {
        gateway_touch (gateway, self->now);
        switch (msg->id) {
            case WIRE_HEARTBEAT:                                           break;
            case WIRE_LOGIN:    s_handle_login (self, gateway, msg);       break;
            case WIRE_LOGOUT:   s_handle_logout (self, gateway, msg);      break;
            case WIRE_JOIN:     s_handle_join (self, gateway, msg);        break;
            case WIRE_NICK:     s_handle_nick (self, gateway, msg);        break;
            case WIRE_SAY:
            case WIRE_ACTION:   s_handle_say (self, gateway, msg);         break;
            case WIRE_PRIVMSG:  s_handle_privmsg (self, gateway, msg);     break;
            case WIRE_ROOMS:    s_handle_rooms (self, gateway, msg);       break;
            case WIRE_WHO:      s_handle_who (self, gateway, msg);         break;
            case WIRE_PROBE:    s_handle_probe (self, gateway, msg);       break;
            case WIRE_BYE:      s_handle_bye (self, gateway);              break;
            case WIRE_DRAINED:  s_handle_drained (self, gateway);          break;
            default:
                if (self->config.verbose)
                    zsys_debug ("router: unexpected verb=%s gateway=%s",
                                wire_id_name (msg->id), routing_id);
        }
    }
    wire_msg_destroy (&msg);
    zstr_free (&routing_id);
}

//  ---------------------------------------------------------------------
//  Drain, control and timers

static void
s_start_drain (router_t *self, const char *reason)
{
    if (self->draining)
        return;
    self->draining = true;
    self->drain_deadline = self->now + self->config.drain_timeout_s * ROUTER_MS_PER_S;
    zsys_info ("router: drain started reason=%s gateways=%zu sessions=%zu rooms=%zu",
               reason, gateways_size (self->gateways), sessions_size (self->sessions),
               rooms_size (self->rooms));
    for (room_t *room = rooms_first (self->rooms); room; room = rooms_next (self->rooms)) {
        wire_msg_t *notice = wire_msg_new (WIRE_NOTICE);
        wire_msg_set_room (notice, room_name (room));
        notice->seq = room_next_seq (room);
        wire_msg_set_text (notice, ROUTER_TEXT_SHUTDOWN);
        s_publish (self, &notice);
    }
    //  DRAIN goes out after every room's traffic on the same PUB socket,
    //  so each gateway receives it after everything it subscribed to.
    s_publish_control (self, WIRE_DRAIN);
}

//  The STATUS body, for the caller to free.
static char *
s_status_body (router_t *self)
{
    char *body = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&body, &size);
    assert (stream);
    fprintf (stream, "state=%s\nepoch=%" PRIu64 "\ngateways=%zu\nsessions=%zu\nrooms=%zu\n",
             self->draining? "draining": "running", self->epoch,
             gateways_size (self->gateways), sessions_size (self->sessions),
             rooms_size (self->rooms));
    zlistx_t *gateways = gateways_sorted (self->gateways);
    for (gateway_t *gateway = (gateway_t *) zlistx_first (gateways); gateway;
         gateway = (gateway_t *) zlistx_next (gateways))
        fprintf (stream, "gateway id=%s name=%s sessions=%zu\n", gateway_id (gateway),
                 gateway_name (gateway), gateway_session_count (gateway));
    zlistx_destroy (&gateways);
    zlistx_t *rooms = rooms_sorted (self->rooms);
    for (room_t *room = (room_t *) zlistx_first (rooms); room;
         room = (room_t *) zlistx_next (rooms))
        fprintf (stream, "room name=%s members=%zu seq=%" PRIu64 "\n", room_name (room),
                 room_member_count (room), room_seq (room));
    zlistx_destroy (&rooms);
    fclose (stream);
    return body;
}

static void
s_handle_control (router_t *self)
{
    control_request_t request = control_recv (self->control);
    if (request == CONTROL_STATUS) {
        char *body = s_status_body (self);
        control_reply (self->control, true, body);
        free (body);
    }
    else
    if (request == CONTROL_SHUTDOWN) {
        control_reply (self->control, true, "state=draining\n");
        s_start_drain (self, "control");
    }
    else
    if (request == CONTROL_UNKNOWN)
        control_reply (self->control, false, "error=unknown command\n");
}

//  Drop every gateway silent for longer than --gateway-timeout.
static void
s_check_gateways (router_t *self)
{
    int64_t timeout_ms = self->config.gateway_timeout_s * ROUTER_MS_PER_S;
    zlistx_t *gateways = gateways_sorted (self->gateways);
    for (gateway_t *gateway = (gateway_t *) zlistx_first (gateways); gateway;
         gateway = (gateway_t *) zlistx_next (gateways))
        if (self->now - gateway_last_seen (gateway) > timeout_ms)
            s_gateway_drop (self, gateway, "lost", ROUTER_REASON_LOST);
    zlistx_destroy (&gateways);
}

//  Run whatever timers are due; returns ms until the next one.
static int64_t
s_run_timers (router_t *self)
{
    if (self->now >= self->next_beat) {
        s_publish_control (self, WIRE_BEAT);
        //  Repeat DRAIN while draining: a PUB drops messages at its HWM,
        //  and a gateway that missed the first one would never leave.
        if (self->draining)
            s_publish_control (self, WIRE_DRAIN);
        self->next_beat = self->now + self->config.heartbeat_ms;
    }
    if (self->now >= self->next_check) {
        s_check_gateways (self);
        self->next_check = self->now + ROUTER_CHECK_MS;
    }
    int64_t next = self->next_beat < self->next_check? self->next_beat: self->next_check;
    if (self->draining) {
        if (gateways_size (self->gateways) == 0) {
            zsys_info ("router: drain finished gateways=0");
            self->finished = true;
        }
        else
        if (self->now >= self->drain_deadline) {
            zsys_info ("router: drain timed out gateways=%zu", gateways_size (self->gateways));
            self->finished = true;
        }
        if (self->drain_deadline < next)
            next = self->drain_deadline;
    }
    return next > self->now? next - self->now: 0;
}

int
router_run (router_t *self, zsock_t *pipe)
{
    assert (self);
    zpoller_t *poller = zpoller_new (self->ingress, control_sock (self->control), NULL);
    assert (poller);
    if (pipe)
        zpoller_add (poller, pipe);
    //  We handle SIGINT/SIGTERM ourselves (as a drain), so the poller
    //  must keep working after zsys_interrupted is set.
    zpoller_set_nonstop (poller, true);

    bool terminated = false;
    int64_t wait_ms = 0;
    while (!self->finished && !terminated) {
        void *which = zpoller_wait (poller, (int) wait_ms);
        self->now = zclock_mono ();
        if (zsys_interrupted)
            s_start_drain (self, "signal");
        if (pipe && which == pipe) {
            char *command = zstr_recv (pipe);
            if (!command || streq (command, "$TERM"))
                terminated = true;
            else
            if (streq (command, "DRAIN"))
                s_start_drain (self, "pipe");
            zstr_free (&command);
        }
        for (int count = 0; count < ROUTER_INGRESS_BATCH
                         && (zsock_events (self->ingress) & ZMQ_POLLIN); count++)
            s_handle_ingress (self);
        while (zsock_events (control_sock (self->control)) & ZMQ_POLLIN)
            s_handle_control (self);
        wait_ms = s_run_timers (self);
        //  Still readable after a full batch: come straight back
        if (zsock_events (self->ingress) & ZMQ_POLLIN)
            wait_ms = 0;
    }
    zpoller_destroy (&poller);
    zsys_info ("router: stopped gateways=%zu sessions=%zu", gateways_size (self->gateways),
               sessions_size (self->sessions));
    return 0;
}

void
router_actor (zsock_t *pipe, void *args)
{
    router_t *self = (router_t *) args;
    assert (self);
    zsock_signal (pipe, 0);
    router_run (self, pipe);
    //  A drain may end the run before the owner says $TERM: wait for it,
    //  so zactor_destroy always finds us listening.
    while (self->finished) {
        char *command = zstr_recv (pipe);
        bool term = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (term)
            break;
    }
}

/*  =========================================================================
    relay.c - the gateway's ZeroMQ side: DEALER uplink and SUB downlink

    ZMQ_FD is edge-triggered and ZeroMQ may consume the edge inside any
    call that processes the socket's commands (a send, a recv, a ZMQ_EVENTS
    check), so each socket carries a "pending" flag: set by its fd's edge,
    by any send on it (the DEALER) and by a batch cut short; cleared only
    when a non-blocking read finds nothing (EAGAIN, which processes the
    commands and so re-arms the edge). The before-sleep hook reads the
    pending sockets and no other: each such read to EAGAIN costs libzmq a
    poll () (and a getpid ()), so a socket with nothing new costs nothing.
    A batch is bounded to stay fair to clients; while a flag is still set
    at the end of a pass, a zero-delay timer keeps the loop from sleeping.

    Messages are read and written frame by frame (wire_msg_read,
    wire_msg_write): no zmsg, no zframe. wire_msg_write leaves the message
    the caller's, so a gateway request refused at the high-water mark
    simply waits in the backlog.
    =========================================================================
*/
#include "relay.h"
#include "curve.h"
#include "gateway_metrics.h"

#define RELAY_BATCH         1000    //  messages per socket per pass
#define RELAY_IDENTITY_MAX  255     //  bytes of a ZeroMQ routing id
#define RELAY_MONITOR_EVENTS (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL \
                              | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                              | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

struct _relay_t {
    loop_t *loop;               //  our event loop (not owned)
    const char *ingress;        //  router's ingress endpoint (borrowed)
    const char *publish;        //  router's publish endpoint (borrowed)
    char identity [RELAY_IDENTITY_MAX + 1];     //  the DEALER's routing id
    int uplink_hwm;             //  DEALER send high-water mark
    int sub_hwm;                //  SUB receive high-water mark
    zsock_t *dealer;            //  uplink to the router's ingress
    zsock_t *sub;               //  room traffic and control
    int dealer_fd;              //  their ZMQ_FD, registered in the loop
    int sub_fd;
    bool dealer_pending;        //  the DEALER may have input: read it
    bool sub_pending;           //  the SUB may have input: read it
    relay_events_t events;      //  owner's handlers
    void *owner;                //  their argument
    zlistx_t *backlog;          //  relay_item_t waiting for uplink room, in order
    bool verbose;               //  per-message traces (debug)
    bool blocked;               //  a try_send failed; on_writable is owed
    bool muted;                 //  drop received messages (shutting down)
    int wakeup_timer;           //  pending zero-delay timer, or 0
    int linger_ms;              //  how long queued sends may take at exit
    zcert_t *cert;              //  our CURVE key pair, or NULL (plaintext)
    char server_key [CURVE_KEY_TEXT + 1];   //  the router's public key (with cert)
    zhashx_t *rooms;            //  rooms subscribed (set), for a rebuilt SUB
    zsock_t *monitor;           //  PAIR reading the DEALER's handshake events
    int monitor_fd;             //  its ZMQ_FD, in the loop
    bool monitor_pending;       //  it may have events: read them
    bool refused;               //  a handshake failed, none succeeded since (logged)
    int64_t retry_ms;           //  rebuild the sockets this long after a failure
    int retry_timer;            //  pending rebuild, or 0
};

//  A queued request, and where its sender keeps its ticket (or NULL).
typedef struct {
    wire_msg_t *msg;            //  the request
    void **ticket_p;            //  set to our list handle; NULLed when we leave
} relay_item_t;

//  An edge: mark the socket; the before-sleep hook reads it.
static void
s_on_socket (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) events;
    relay_t *self = (relay_t *) arg;
    if (fd == self->dealer_fd)
        self->dealer_pending = true;
    else
    if (fd == self->monitor_fd)
        self->monitor_pending = true;
    else
        self->sub_pending = true;
}

static void
s_on_hook (loop_t *loop, void *arg)
{
    (void) loop;
    relay_process ((relay_t *) arg);
}

static void
s_backlog_destroy (void **item_p)
{
    relay_item_t *item = (relay_item_t *) *item_p;
    if (item->ticket_p)
        *item->ticket_p = NULL;
    wire_msg_destroy (&item->msg);
    free (item);
    *item_p = NULL;
}

//  Queue *msg_p at the end of the backlog (it becomes ours).
static void
s_backlog_add (relay_t *self, wire_msg_t **msg_p, void **ticket_p)
{
    relay_item_t *item = (relay_item_t *) zmalloc (sizeof (relay_item_t));
    assert (item);
    item->msg = *msg_p;
    item->ticket_p = ticket_p;
    *msg_p = NULL;
    if (zlistx_size (self->backlog) == 0)
        GATEWAY_COUNT (GATEWAY_METRIC_UPLINK_FULL);
    void *handle = zlistx_add_end (self->backlog, item);
    if (ticket_p)
        *ticket_p = handle;
}

//  Watch sock's ZMQ_FD (edge-triggered); *fd_p is set once it is in.
static int
s_register (relay_t *self, zsock_t *sock, int *fd_p)
{
    int fd = zsock_fd (sock);
    if (loop_add (self->loop, fd, LOOP_READABLE | LOOP_EDGE, s_on_socket, self))
        return -1;
    *fd_p = fd;
    return 0;
}

//  A new DEALER under identity, set up and connected, or NULL.
static zsock_t *
s_dealer_new (relay_t *self, const char *identity)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    if (self->cert)
        curve_apply_client (dealer, self->cert, self->server_key);
    zsock_set_identity (dealer, identity);
    zsock_set_sndhwm (dealer, self->uplink_hwm);
    zsock_set_linger (dealer, self->linger_ms);
    if (zsock_connect (dealer, "%s", self->ingress)) {
        zsys_error ("relay: cannot connect endpoint=%s", self->ingress);
        zsock_destroy (&dealer);
    }
    return dealer;
}

//  A new SUB, set up, connected, subscribed to the control topic and
//  every room of ours, or NULL.
static zsock_t *
s_sub_new (relay_t *self)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub)
        return NULL;
    if (self->cert)
        curve_apply_client (sub, self->cert, self->server_key);
    zsock_set_rcvhwm (sub, self->sub_hwm);
    //  A SUB sends nothing but subscriptions, and libzmq drops one
    //  silently past the SUB's *send* high-water mark (1000 by default),
    //  both when we subscribe and when it resends every subscription on
    //  reconnect: a gateway with more rooms than that lost some for
    //  good, and their joins waited forever. No limit, then: what waits
    //  is bounded by our rooms' subscribe and unsubscribe calls, and a
    //  reconnect replaces whatever waited with the current set.
    zsock_set_sndhwm (sub, 0);
    zsock_set_linger (sub, self->linger_ms);
    if (zsock_connect (sub, "%s", self->publish)) {
        zsys_error ("relay: cannot connect endpoint=%s", self->publish);
        zsock_destroy (&sub);
        return NULL;
    }
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (WIRE_TOPIC_CONTROL, topic);
    zsock_set_subscribe (sub, topic);
    for (void *room = zhashx_first (self->rooms); room; room = zhashx_next (self->rooms)) {
        wire_topic ((const char *) zhashx_cursor (self->rooms), topic);
        zsock_set_subscribe (sub, topic);
    }
    return sub;
}

//  Watch the DEALER's handshakes on a new monitor (the old one, if any,
//  went with its socket). Returns 0 or -1.
static int
s_watch (relay_t *self)
{
    if (self->monitor_fd != -1)
        loop_remove (self->loop, self->monitor_fd);
    self->monitor_fd = -1;
    zsock_destroy (&self->monitor);
    //  Unique in the process: a closed socket's monitor endpoint is
    //  unbound later, by libzmq's reaper
    static unsigned s_monitor_count = 0;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://relay-handshakes-%u", s_monitor_count++);
    if (zmq_socket_monitor (zsock_resolve (self->dealer), endpoint, RELAY_MONITOR_EVENTS))
        return -1;
    self->monitor = zsock_new (ZMQ_PAIR);
    if (!self->monitor || zsock_connect (self->monitor, "%s", endpoint))
        return -1;
    zsock_set_rcvtimeo (self->monitor, 0);      //  s_read_monitor never waits
    if (s_register (self, self->monitor, &self->monitor_fd))
        return -1;
    self->monitor_pending = true;
    return 0;
}

relay_t *
relay_new (loop_t *loop, const relay_config_t *config,
           const relay_events_t *events, void *owner)
{
    assert (loop);
    assert (config);
    assert (events);
    relay_t *self = (relay_t *) zmalloc (sizeof (relay_t));
    assert (self);
    self->loop = loop;
    self->events = *events;
    self->owner = owner;
    self->verbose = config->verbose;
    self->linger_ms = config->linger_ms;
    self->ingress = config->ingress;
    self->publish = config->publish;
    snprintf (self->identity, sizeof self->identity, "%s", config->identity);
    self->uplink_hwm = config->uplink_hwm;
    self->sub_hwm = config->sub_hwm;
    self->retry_ms = config->retry_ms;
    self->dealer_fd = -1;
    self->sub_fd = -1;
    self->monitor_fd = -1;
    self->rooms = zhashx_new ();
    assert (self->rooms);
    self->backlog = zlistx_new ();
    assert (self->backlog);
    zlistx_set_destructor (self->backlog, s_backlog_destroy);
    if (config->curve_secret && *config->curve_secret) {
        self->cert = curve_load_pair (config->curve_secret);
        if (!self->cert
        ||  !config->curve_server
        ||  curve_load_public (config->curve_server, self->server_key)) {
            relay_destroy (&self);
            return NULL;
        }
    }
    else
        zsys_warning ("relay: curve off: the links to the router are unauthenticated "
                      "plaintext (see --curve-secret)");

    self->dealer = s_dealer_new (self, config->identity);
    self->sub = self->dealer? s_sub_new (self): NULL;
    if (!self->dealer || !self->sub) {
        zsys_error ("relay: cannot set up sockets");
        relay_destroy (&self);
        return NULL;
    }
    if (s_register (self, self->dealer, &self->dealer_fd)
    ||  s_register (self, self->sub, &self->sub_fd)
    ||  s_watch (self)) {
        zsys_error ("relay: cannot register sockets in the loop");
        relay_destroy (&self);
        return NULL;
    }
    //  Whatever arrived before registration left no edge to see
    self->dealer_pending = true;
    self->sub_pending = true;
    loop_hook_add (loop, s_on_hook, self);
    zsys_info ("relay: connected ingress=%s publish=%s curve=%s", config->ingress,
               config->publish, self->cert? "on": "off");
    return self;
}

//  Send msg without blocking (it stays the caller's); 0 if sent, -1 if
//  refused. A send may process the DEALER's commands and swallow its
//  edge, so the DEALER is read again before the loop sleeps.
static int
s_write (relay_t *self, const wire_msg_t *msg, int flags)
{
    self->dealer_pending = true;
    if (wire_msg_write (msg, self->dealer, NULL, flags) == 0)
        return 0;
    if (errno != EAGAIN)
        zsys_warning ("relay: send failed verb=%s error=%s",
                      wire_id_name (msg->id), zmq_strerror (errno));
    return -1;
}

//  Send the backlog head first, in order, while the uplink takes them.
//  When it stops taking them, do not mark the DEALER for another pass
//  (that spun the loop at full CPU for as long as the uplink stayed full):
//  ZMQ_EVENTS processes the commands the refused send may have consumed,
//  re-arming the edge, so room on the uplink arrives as an edge; read
//  again now only if it reports input (or room after all).
static void
s_flush_backlog (relay_t *self)
{
    relay_item_t *item;
    while ((item = (relay_item_t *) zlistx_first (self->backlog))) {
        if (s_write (self, item->msg, ZMQ_DONTWAIT)) {
            int events = zsock_events (self->dealer);
            self->dealer_pending = (events & (ZMQ_POLLIN | ZMQ_POLLOUT)) != 0;
            break;
        }
        zlistx_delete (self->backlog, zlistx_cursor (self->backlog));
    }
}

void
relay_destroy (relay_t **self_p)
{
    assert (self_p);
    relay_t *self = *self_p;
    if (!self)
        return;
    if (self->wakeup_timer)
        loop_timer_cancel (self->loop, self->wakeup_timer);
    if (self->retry_timer)
        loop_timer_cancel (self->loop, self->retry_timer);
    if (self->dealer) {
        //  Give what is still queued (BYE, DRAINED) its linger time
        zsock_set_sndtimeo (self->dealer, self->linger_ms);
        relay_item_t *item;
        while ((item = (relay_item_t *) zlistx_first (self->backlog))
        &&     s_write (self, item->msg, 0) == 0)
            zlistx_delete (self->backlog, zlistx_cursor (self->backlog));
    }
    if (self->dealer_fd != -1)
        loop_remove (self->loop, self->dealer_fd);
    if (self->sub_fd != -1)
        loop_remove (self->loop, self->sub_fd);
    if (self->monitor_fd != -1)
        loop_remove (self->loop, self->monitor_fd);
    if (zlistx_size (self->backlog))
        zsys_warning ("relay: unsent requests=%zu", zlistx_size (self->backlog));
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    zsock_destroy (&self->monitor);
    zlistx_destroy (&self->backlog);
    zhashx_destroy (&self->rooms);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

int
relay_try_send (relay_t *self, wire_msg_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    if (self->blocked || zlistx_size (self->backlog)) {
        wire_msg_destroy (msg_p);
        self->blocked = true;
        errno = EAGAIN;
        return -1;
    }
    int rc = s_write (self, *msg_p, ZMQ_DONTWAIT);
    int saved = errno;
    wire_msg_destroy (msg_p);
    if (rc == 0 || saved != EAGAIN)
        return 0;               //  sent, or lost for good (logged)
    self->blocked = true;
    errno = EAGAIN;
    return -1;
}

void
relay_send (relay_t *self, wire_msg_t **msg_p)
{
    relay_send_tracked (self, msg_p, NULL);
}

void
relay_send_tracked (relay_t *self, wire_msg_t **msg_p, void **ticket_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    if (ticket_p)
        *ticket_p = NULL;
    if (zlistx_size (self->backlog) == 0
    &&  s_write (self, *msg_p, ZMQ_DONTWAIT) == 0) {
        wire_msg_destroy (msg_p);
        return;
    }
    s_backlog_add (self, msg_p, ticket_p);
}

bool
relay_retract (relay_t *self, void **ticket_p)
{
    assert (self);
    assert (ticket_p);
    void *handle = *ticket_p;
    if (!handle)
        return false;
    relay_item_t *item = (relay_item_t *) zlistx_handle_item (handle);
    assert (item && item->ticket_p == ticket_p);
    item->ticket_p = NULL;
    *ticket_p = NULL;
    zlistx_delete (self->backlog, handle);
    return true;
}

size_t
relay_queued (relay_t *self)
{
    assert (self);
    return zlistx_size (self->backlog);
}

bool
relay_blocked (relay_t *self)
{
    assert (self);
    return self->blocked;
}

//  A room's topic is the room name plus WIRE_TOPIC_END (wire_topic).
void
relay_subscribe (relay_t *self, const char *room)
{
    assert (self);
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (room, topic);
    zsock_set_subscribe (self->sub, topic);
    zhashx_insert (self->rooms, room, self);
}

void
relay_unsubscribe (relay_t *self, const char *room)
{
    assert (self);
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (room, topic);
    zsock_set_unsubscribe (self->sub, topic);
    zhashx_delete (self->rooms, room);
}

//  Read and dispatch up to one batch from sock. Returns true when it
//  found the socket empty (EAGAIN: ZeroMQ has then processed its
//  commands, so the fd's edge is re-armed), false when input may be left.
static bool
s_drain (relay_t *self, zsock_t *sock, bool published)
{
    for (int count = 0; count < RELAY_BATCH; count++) {
        wire_msg_t *msg = wire_msg_read (sock, NULL, ZMQ_DONTWAIT);
        if (!msg) {
            if (errno == EPROTO) {
                if (self->verbose)
                    zsys_debug ("relay: dropped malformed message");
                continue;
            }
            //  EAGAIN: empty. ETERM (shutting down) will not pass;
            //  only an interrupted read is worth another try
            return errno != EINTR;
        }
        if (self->muted)
            wire_msg_destroy (&msg);
        else
        if (published) {
            gateway_metrics_batch_read ();
            self->events.on_publish (self->owner, &msg);
        }
        else
            self->events.on_reply (self->owner, &msg);
        wire_msg_destroy (&msg);
    }
    return false;
}

static int
s_on_wakeup (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    relay_t *self = (relay_t *) arg;
    self->wakeup_timer = 0;
    relay_process (self);
    return -1;
}

static void
s_wake_soon (relay_t *self)
{
    if (!self->wakeup_timer)
        self->wakeup_timer = loop_timer_add (self->loop, 0, false, s_on_wakeup, self);
}

int
relay_renew (relay_t *self, const char *identity)
{
    assert (self);
    assert (identity);
    //  The new socket first: if it cannot be had, the old one stays
    zsock_t *dealer = s_dealer_new (self, identity);
    if (!dealer) {
        zsys_error ("relay: cannot renew the uplink");
        return -1;
    }
    if (identity != self->identity)
        snprintf (self->identity, sizeof self->identity, "%s", identity);
    loop_remove (self->loop, self->dealer_fd);
    zsock_set_linger (self->dealer, 0);
    zsock_destroy (&self->dealer);
    self->dealer = dealer;
    self->dealer_fd = -1;
    if (s_register (self, self->dealer, &self->dealer_fd) || s_watch (self)) {
        zsys_error ("relay: cannot register the renewed uplink");
        return -1;
    }
    self->dealer_pending = true;
    s_wake_soon (self);
    return 0;
}

//  A refused handshake's retry: both sockets again, the SUB first (what
//  it held is lost either way; its subscriptions are ours to repeat).
static int
s_on_retry (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    relay_t *self = (relay_t *) arg;
    self->retry_timer = 0;
    zsock_t *sub = s_sub_new (self);
    if (sub) {
        if (self->sub_fd != -1)
            loop_remove (loop, self->sub_fd);
        self->sub_fd = -1;
        zsock_set_linger (self->sub, 0);
        zsock_destroy (&self->sub);
        self->sub = sub;
        if (s_register (self, self->sub, &self->sub_fd))
            zsys_error ("relay: cannot register the rebuilt SUB");
        self->sub_pending = true;
    }
    if (!sub || relay_renew (self, self->identity)) {
        //  Try again later rather than never
        self->retry_timer = loop_timer_add (loop, self->retry_ms, false, s_on_retry, self);
    }
    return -1;
}

//  Read the DEALER's handshake events: a failure is logged once until a
//  success, counted, and retried (relay.h).
static void
s_read_monitor (relay_t *self)
{
    zmsg_t *event;
    while (self->monitor && (event = zmsg_recv (self->monitor))) {
        uint16_t id = 0;
        uint32_t value = 0;
        zframe_t *head = zmsg_first (event);
        if (head && zframe_size (head) >= sizeof id + sizeof value) {
            memcpy (&id, zframe_data (head), sizeof id);
            memcpy (&value, zframe_data (head) + sizeof id, sizeof value);
        }
        zmsg_destroy (&event);
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            if (self->refused)
                zsys_info ("relay: the router accepted the handshake ingress=%s",
                           self->ingress);
            self->refused = false;
        }
        else
        if (id) {
            GATEWAY_COUNT (GATEWAY_METRIC_HANDSHAKES_FAILED);
            bool auth = id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
            if (!self->refused)
                zsys_warning ("relay: the router refused the handshake ingress=%s "
                              "event=%s code=%u curve=%s retry_ms=%" PRId64 " (%s)",
                              self->ingress, auth? "auth": "protocol", value,
                              self->cert? "on": "off", self->retry_ms,
                              auth? "is our public key in its --curve-allow?":
                              "do both tiers run CURVE, or neither?");
            self->refused = true;
            if (!self->retry_timer)
                self->retry_timer = loop_timer_add (self->loop, self->retry_ms, false,
                                                    s_on_retry, self);
        }
    }
}

void
relay_process (relay_t *self)
{
    assert (self);
    if (self->monitor_pending) {
        self->monitor_pending = false;
        s_read_monitor (self);
    }
    if (self->dealer_pending && s_drain (self, self->dealer, false))
        self->dealer_pending = false;
    if (self->sub_pending && s_drain (self, self->sub, true))
        self->sub_pending = false;
    if (zlistx_size (self->backlog))
        s_flush_backlog (self);
    if (self->blocked && zlistx_size (self->backlog) == 0) {
        //  ZMQ_EVENTS processes commands too: it re-arms the edge unless
        //  it reports input, which then needs reading
        int events = zsock_events (self->dealer);
        if (events & ZMQ_POLLIN)
            self->dealer_pending = true;
        if (events & ZMQ_POLLOUT) {
            self->blocked = false;
            if (self->events.on_writable)
                self->events.on_writable (self->owner);
        }
    }
    relay_recheck (self);
}

void
relay_recheck (relay_t *self)
{
    assert (self);
    if (self->dealer_pending || self->sub_pending)
        s_wake_soon (self);
}

void
relay_mute (relay_t *self)
{
    assert (self);
    self->muted = true;
}

/*  =========================================================================
    relay.c - the gateway's ZeroMQ side: DEALER uplink and SUB downlink

    ZMQ_FD is edge-triggered and ZeroMQ may consume the edge inside any
    send or recv, so the relay never trusts the fd alone: it drains both
    sockets until a non-blocking recv finds nothing (which, like a
    ZMQ_EVENTS check, re-arms the edge), from the fd handler and from a
    before-sleep hook. A batch is bounded to stay fair to clients; when
    input is left over, a zero-delay timer keeps the loop from sleeping.

    The gateway's own requests must not be lost at the high-water mark,
    but wire_msg_send consumes the message even when it fails, so such a
    send goes out as a copy and the original waits in the backlog if the
    copy was refused.
    =========================================================================
*/
#include "relay.h"

#define RELAY_BATCH         1000    //  messages per socket per pass

struct _relay_t {
    loop_t *loop;               //  our event loop (not owned)
    zsock_t *dealer;            //  uplink to the router's ingress
    zsock_t *sub;               //  room traffic and control
    relay_events_t events;      //  owner's handlers
    void *owner;                //  their argument
    zlistx_t *backlog;          //  wire_msg_t waiting for uplink room, in order
    bool verbose;               //  per-message traces (debug)
    bool blocked;               //  a try_send failed; on_writable is owed
    bool muted;                 //  drop received messages (shutting down)
    int wakeup_timer;           //  pending zero-delay timer, or 0
    int linger_ms;              //  how long queued sends may take at exit
};

static void
s_on_socket (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    (void) events;
    relay_process ((relay_t *) arg);
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
    wire_msg_destroy ((wire_msg_t **) item_p);
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
    self->backlog = zlistx_new ();
    assert (self->backlog);
    zlistx_set_destructor (self->backlog, s_backlog_destroy);

    self->dealer = zsock_new (ZMQ_DEALER);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->dealer || !self->sub) {
        zsys_error ("relay: cannot create sockets");
        relay_destroy (&self);
        return NULL;
    }
    zsock_set_identity (self->dealer, config->identity);
    zsock_set_sndhwm (self->dealer, config->uplink_hwm);
    zsock_set_linger (self->dealer, config->linger_ms);
    zsock_set_rcvhwm (self->sub, config->sub_hwm);
    zsock_set_linger (self->sub, config->linger_ms);
    if (zsock_connect (self->dealer, "%s", config->ingress)) {
        zsys_error ("relay: cannot connect endpoint=%s", config->ingress);
        relay_destroy (&self);
        return NULL;
    }
    if (zsock_connect (self->sub, "%s", config->publish)) {
        zsys_error ("relay: cannot connect endpoint=%s", config->publish);
        relay_destroy (&self);
        return NULL;
    }
    relay_subscribe (self, WIRE_TOPIC_CONTROL);
    if (loop_add (loop, zsock_fd (self->dealer), LOOP_READABLE | LOOP_EDGE, s_on_socket, self)
    ||  loop_add (loop, zsock_fd (self->sub), LOOP_READABLE | LOOP_EDGE, s_on_socket, self)) {
        zsys_error ("relay: cannot register sockets in the loop");
        relay_destroy (&self);
        return NULL;
    }
    loop_hook_add (loop, s_on_hook, self);
    zsys_info ("relay: connected ingress=%s publish=%s", config->ingress, config->publish);
    return self;
}

//  Copy a message field by field (wire_msg_send consumes what it sends).
static wire_msg_t *
s_clone (wire_msg_t *msg)
{
    wire_msg_t *copy = wire_msg_new (msg->id);
    if (msg->gateway)
        wire_msg_set_gateway (copy, msg->gateway);
    if (msg->room)
        wire_msg_set_room (copy, msg->room);
    if (msg->nick)
        wire_msg_set_nick (copy, msg->nick);
    if (msg->target)
        wire_msg_set_target (copy, msg->target);
    if (msg->text)
        wire_msg_set_text (copy, msg->text);
    copy->client = msg->client;
    copy->seq = msg->seq;
    copy->epoch = msg->epoch;
    for (size_t index = 0; index < msg->entry_count; index++)
        wire_msg_add_entry (copy, msg->entries [index].name, msg->entries [index].count);
    return copy;
}

//  Send a copy of msg without blocking; 0 if sent, -1 if refused.
static int
s_send_copy (relay_t *self, wire_msg_t *msg, int flags)
{
    wire_msg_t *copy = s_clone (msg);
    if (wire_msg_send (&copy, zsock_resolve (self->dealer), flags) == 0)
        return 0;
    if (errno != EAGAIN)
        zsys_warning ("relay: send failed verb=%s error=%s",
                      wire_id_name (msg->id), zmq_strerror (errno));
    return -1;
}

//  Send the backlog head first, in order, while the uplink takes them.
static void
s_flush_backlog (relay_t *self)
{
    wire_msg_t *msg;
    while ((msg = (wire_msg_t *) zlistx_first (self->backlog))) {
        if (s_send_copy (self, msg, ZMQ_DONTWAIT))
            break;
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
    if (self->dealer) {
        //  Give what is still queued (BYE, DRAINED) its linger time
        zsock_set_sndtimeo (self->dealer, self->linger_ms);
        wire_msg_t *msg;
        while ((msg = (wire_msg_t *) zlistx_first (self->backlog))
        &&     s_send_copy (self, msg, 0) == 0)
            zlistx_delete (self->backlog, zlistx_cursor (self->backlog));
        loop_remove (self->loop, zsock_fd (self->dealer));
    }
    if (self->sub)
        loop_remove (self->loop, zsock_fd (self->sub));
    if (zlistx_size (self->backlog))
        zsys_warning ("relay: unsent requests=%zu", zlistx_size (self->backlog));
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    zlistx_destroy (&self->backlog);
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
    wire_id_t id = (*msg_p)->id;
    if (wire_msg_send (msg_p, zsock_resolve (self->dealer), ZMQ_DONTWAIT) == 0)
        return 0;
    if (errno == EAGAIN) {
        self->blocked = true;
        return -1;
    }
    zsys_warning ("relay: send failed verb=%s error=%s", wire_id_name (id), zmq_strerror (errno));
    return 0;
}

void
relay_send (relay_t *self, wire_msg_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    if (zlistx_size (self->backlog) == 0
    &&  s_send_copy (self, *msg_p, ZMQ_DONTWAIT) == 0) {
        wire_msg_destroy (msg_p);
        return;
    }
    zlistx_add_end (self->backlog, *msg_p);
    *msg_p = NULL;
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
}

void
relay_unsubscribe (relay_t *self, const char *room)
{
    assert (self);
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (room, topic);
    zsock_set_unsubscribe (self->sub, topic);
}

//  Receive one whole message without blocking. Returns false when the
//  socket has none (EAGAIN: ZeroMQ has then processed its commands, so
//  the fd's edge is re-armed, as after a ZMQ_EVENTS check); *msg_p is
//  NULL for a malformed message. One non-blocking recv per message costs
//  no system call, where a ZMQ_EVENTS check before each one cost a poll.
static bool
s_recv (void *handle, wire_msg_t **msg_p)
{
    *msg_p = NULL;
    zmq_msg_t first;
    zmq_msg_init (&first);
    if (zmq_msg_recv (&first, handle, ZMQ_DONTWAIT) == -1) {
        zmq_msg_close (&first);
        return false;
    }
    zmsg_t *msg = zmsg_new ();
    zframe_t *frame = zframe_new (zmq_msg_data (&first), zmq_msg_size (&first));
    bool more = zmq_msg_more (&first);
    zmq_msg_close (&first);
    zmsg_append (msg, &frame);
    while (more) {
        frame = zframe_recv (handle);
        if (!frame) {
            zmsg_destroy (&msg);
            return true;
        }
        more = zframe_more (frame);
        zmsg_append (msg, &frame);
    }
    *msg_p = wire_msg_decode (&msg);
    return true;
}

//  Receive up to one batch from sock; true if input is left over.
static bool
s_drain (relay_t *self, zsock_t *sock, bool published)
{
    void *handle = zsock_resolve (sock);
    for (int count = 0; count < RELAY_BATCH; count++) {
        wire_msg_t *msg;
        if (!s_recv (handle, &msg))
            return false;
        if (!msg && self->verbose)
            zsys_debug ("relay: dropped malformed message");
        if (msg && !self->muted) {
            if (published)
                self->events.on_publish (self->owner, &msg);
            else
                self->events.on_reply (self->owner, &msg);
        }
        wire_msg_destroy (&msg);
    }
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
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

void
relay_process (relay_t *self)
{
    assert (self);
    bool more = s_drain (self, self->dealer, false);
    if (s_drain (self, self->sub, true))
        more = true;
    if (zlistx_size (self->backlog))
        s_flush_backlog (self);
    if (self->blocked && zlistx_size (self->backlog) == 0
    &&  (zsock_events (self->dealer) & ZMQ_POLLOUT)) {
        self->blocked = false;
        if (self->events.on_writable)
            self->events.on_writable (self->owner);
    }
    if (more)
        s_wake_soon (self);
}

void
relay_recheck (relay_t *self)
{
    assert (self);
    if ((zsock_events (self->dealer) & ZMQ_POLLIN)
    ||  (zsock_events (self->sub) & ZMQ_POLLIN))
        s_wake_soon (self);
}

void
relay_mute (relay_t *self)
{
    assert (self);
    self->muted = true;
}

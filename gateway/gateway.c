/*  =========================================================================
    gateway.c - the gateway server: clients on one side, the router on the other

    Everything runs on one thread in one loop (loop.h). Client events come
    from the client set, wire messages from the relay; this file routes
    them: replies to the session they name, published room traffic to
    fanout.c, PROBED to the sessions waiting for that room, control
    traffic to the lifecycle below. The listening ports are ports.c's:
    opened once the client set exists, closed when a drain or shutdown
    begins.

    Lifecycle: RUNNING until the router's DRAIN (then DRAINING: every
    client gets its queued output and FIN, then DRAINED goes up) or a
    signal (then SHUTTING_DOWN: BYE goes up, every client is told and
    closed). Either ends when the client set is empty, or after a bound.

    Router liveness: BEATs carry the router's epoch. No BEAT for the
    router timeout: clients are told once. A BEAT with another epoch, or
    RESYNC: HELLO again, hold client input, and on WELCOME probe every
    room again and log each session in again (x = "resync") once its room
    is live, holding its input until then.
    =========================================================================
*/
#include "gateway.h"
#include "admission.h"
#include "wire.h"
#include "loop.h"
#include "client.h"
#include "ports.h"
#include "transport_tls.h"
#include "transport_ws.h"
#include "relay.h"
#include "subs.h"
#include "session.h"
#include "format.h"
#include "sessions.h"
#include "fanout.h"
#include "gateway_metrics.h"
#include <sys/signalfd.h>
#include <sys/random.h>
#include <signal.h>

#define GATEWAY_PROBE_INTERVAL_MS   100     //  PROBE backoff tick, deadlines, liveness
#define GATEWAY_LINGER_MS           500     //  ZMQ_LINGER: BYE/DRAINED get out at exit
#define GATEWAY_ID_SUFFIX_HEX       8       //  random hex digits after the name
#define GATEWAY_CLOSE_MARGIN_MS     2000    //  drain/shutdown bound beyond the linger
#define MSEC_PER_SEC                1000
#define GATEWAY_ROUTE_MAX           32      //  hex digits of the uplink's routing id (a UUID)

typedef enum {
    GATEWAY_RUNNING = 1,
    GATEWAY_DRAINING,               //  router DRAIN: flush clients, then DRAINED
    GATEWAY_SHUTTING_DOWN           //  signal: BYE, close clients, exit
} gateway_state_t;

struct _gateway_t {
    gateway_config_t config;        //  settings (strings borrowed)
    char id [WIRE_GATEWAY_MAX + 1]; //  our gateway id (public)
    char route [GATEWAY_ROUTE_MAX + 1]; //  our uplink's routing id (secret)
    gateway_state_t state;
    loop_t *loop;
    relay_t *relay;
    subs_t *subs;
    format_t *format;               //  the one line buffer
    admission_t *admission;         //  per-address caps of the client port
    client_set_t *clients;
    ports_t *ports;                 //  every listening socket (ports.h)
    sessions_t *sessions;           //  client id -> session_t
    fanout_t fanout;                //  room traffic delivery
    session_ctx_t ctx;              //  what sessions share
    int signal_fd;                  //  SIGINT/SIGTERM/SIGHUP, or -1
    int heartbeat_timer;
    int tick_timer;
    int close_timer;                //  bound on drain/shutdown, or 0
    bool welcomed;                  //  a WELCOME arrived (epoch is valid)
    uint64_t epoch;                 //  router epoch from WELCOME
    bool resyncing;                 //  HELLO sent again; client input held
    int64_t hello_at;               //  when HELLO last went up
    bool hello_pending;             //  HELLO sent, no WELCOME yet
    uint64_t hello_epoch;           //  BEAT epoch when it went up (0: none seen)
    int64_t renewed_at;             //  when we last took a fresh id, or 0
    int64_t last_beat;              //  when the last BEAT arrived
    uint64_t beat_epoch;            //  epoch of the last BEAT, 0 before one
    bool router_lost;               //  clients were told the router is gone
    bool busy_logged;               //  "refusing clients" was logged (once per spell)
    size_t closing_clients;         //  clients when drain/shutdown began
};

//  Write the formatted line to every session.
static void
s_tell_everyone (gateway_t *self)
{
    for (session_t *session = sessions_first (self->sessions);
         session; session = sessions_next (self->sessions))
        session_write_formatted (session);
}

//  ---------------------------------------------------------------------
//  Client events

static void
s_on_opened (void *owner, client_t *client)
{
    gateway_t *self = (gateway_t *) owner;
    if (self->state != GATEWAY_RUNNING) {
        GATEWAY_COUNT (GATEWAY_METRIC_REFUSED_CLOSING);
        client_close (client, self->state == GATEWAY_DRAINING?
                      CLIENT_CLOSE_DRAIN: CLIENT_CLOSE_SHUTDOWN);
        return;
    }
    //  The uplink is full and --queue-max requests wait in the relay
    //  (router away or slow): a new session would only queue one more
    //  LOGIN, and its client cannot even be seen leaving while its input
    //  is held for the login. Refuse it, so the queue stays bounded.
    size_t queued = relay_queued (self->relay);
    if (self->config.queue_max > 0 && queued >= (size_t) self->config.queue_max) {
        if (!self->busy_logged) {
            zsys_warning ("gateway: busy, refusing clients queued=%zu", queued);
            self->busy_logged = true;
        }
        GATEWAY_COUNT (GATEWAY_METRIC_REFUSED_BUSY);
        format_error (self->format, FORMAT_BUSY);
        format_write (self->format, client);
        client_close (client, CLIENT_CLOSE_REFUSED);
        return;
    }
    self->busy_logged = false;
    session_t *session = session_new (&self->ctx, client);
    client_set_owner_data (client, session);
    sessions_insert (self->sessions, session);
    if (self->config.verbose)
        zsys_debug ("gateway: session opened client=%" PRIu64, client_id (client));
}

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    gateway_t *self = (gateway_t *) owner;
    session_t *session = (session_t *) client_owner_data (client);
    if (!session || self->state != GATEWAY_RUNNING)
        return 0;
    if (self->resyncing)
        return CLIENT_AGAIN;
    return session_on_line (session, line, size);
}

//  A line that arrived while its session holds input: /quit acts now.
static bool
s_on_held_line (void *owner, client_t *client, const char *line, size_t size)
{
    (void) owner;
    session_t *session = (session_t *) client_owner_data (client);
    return session? session_on_held_line (session, line, size): false;
}

//  The peer closed: close once the session has nothing in flight.
static bool
s_on_eof (void *owner, client_t *client)
{
    gateway_t *self = (gateway_t *) owner;
    session_t *session = (session_t *) client_owner_data (client);
    return !session || self->state != GATEWAY_RUNNING || session_settled (session);
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    gateway_t *self = (gateway_t *) owner;
    session_t *session = (session_t *) client_owner_data (client);
    if (!session)
        return;
    client_set_owner_data (client, NULL);
    sessions_remove (self->sessions, session);
    if (self->config.verbose)
        zsys_debug ("gateway: session closed client=%" PRIu64 " reason=%s",
                    session_id (session), client_close_reason_text (reason));
    session_destroy (&session, client_close_reason_text (reason));
}

//  ---------------------------------------------------------------------
//  Subscription events (from subs.c)

static void
s_send_probe (gateway_t *self, subs_room_t *room)
{
    wire_msg_t *msg = wire_msg_new (WIRE_PROBE);
    wire_msg_set_room (msg, subs_room_name (room));
    msg->client = subs_room_token (room);
    relay_try_send (self->relay, &msg);
}

static void
s_on_subscribe (void *owner, subs_room_t *room)
{
    gateway_t *self = (gateway_t *) owner;
    relay_subscribe (self->relay, subs_room_name (room));
    s_send_probe (self, room);
}

static void
s_on_unsubscribe (void *owner, const char *room)
{
    gateway_t *self = (gateway_t *) owner;
    relay_unsubscribe (self->relay, room);
}

static void
s_probe_room (void *arg, subs_room_t *room)
{
    s_send_probe ((gateway_t *) arg, room);
}

//  A PROBE went unanswered: send another (subs.c backs off), and past a
//  few, subscribe afresh first, since ZeroMQ may have lost the
//  subscription itself; probing alone would then wait forever. Only
//  unsubscribe + subscribe re-sends it: a second subscribe would only
//  count up in the SUB's own table, and a later single unsubscribe
//  would then never leave the socket.
static void
s_probe_due (void *arg, subs_room_t *room, bool resubscribe)
{
    gateway_t *self = (gateway_t *) arg;
    if (resubscribe) {
        if (self->config.verbose)
            zsys_debug ("gateway: resubscribe room=%s resends=%zu",
                        subs_room_name (room), subs_room_resends (room));
        relay_unsubscribe (self->relay, subs_room_name (room));
        relay_subscribe (self->relay, subs_room_name (room));
    }
    s_send_probe (self, room);
}

//  ---------------------------------------------------------------------
//  Router lifecycle

static void
s_send_hello (gateway_t *self)
{
    wire_msg_t *msg = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (msg, self->id);
    wire_msg_set_text (msg, self->config.name);
    relay_send (self->relay, &msg);
    self->hello_at = loop_now (self->loop);
    self->hello_pending = true;
    self->hello_epoch = self->beat_epoch;
}

static void
s_start_resync (gateway_t *self, uint64_t epoch)
{
    if (self->state != GATEWAY_RUNNING)
        return;
    if (self->resyncing) {
        //  No WELCOME for a router timeout: our HELLO went to a router
        //  that died before answering. Without another, input stays held
        if (loop_now (self->loop) - self->hello_at
            > self->config.router_timeout_s * MSEC_PER_SEC)
            s_send_hello (self);
        return;
    }
    zsys_info ("gateway: resync old_epoch=%" PRIu64 " new_epoch=%" PRIu64, self->epoch, epoch);
    GATEWAY_COUNT (GATEWAY_METRIC_RESYNCS);
    self->resyncing = true;
    s_send_hello (self);
}

static void s_make_id (gateway_t *self);
static void s_make_route (gateway_t *self);

//  Displaced or unheard: a fresh id on a fresh uplink, HELLO, and on
//  WELCOME every session logs in again (the resync path).
static void
s_renew (gateway_t *self, const char *reason)
{
    if (self->state != GATEWAY_RUNNING)
        return;
    char old_id [WIRE_GATEWAY_MAX + 1];
    snprintf (old_id, sizeof (old_id), "%s", self->id);
    s_make_id (self);
    s_make_route (self);
    zsys_warning ("gateway: re-registering under a fresh id reason=%s old_id=%s new_id=%s"
                  " sessions=%zu", reason, old_id, self->id, sessions_size (self->sessions));
    self->renewed_at = loop_now (self->loop);
    GATEWAY_COUNT (GATEWAY_METRIC_RESYNCS);
    if (relay_renew (self->relay, self->route))
        return;                 //  logged; the next deadline tries again
    self->resyncing = true;
    s_send_hello (self);
}

//  HELLO_REFUSED: another connection holds our id. Renew at once, but
//  not twice within a router timeout (the unanswered-HELLO check covers
//  a refusal of the fresh id).
static void
s_on_hello_refused (gateway_t *self)
{
    int64_t since_ms = loop_now (self->loop) - self->renewed_at;
    if (self->renewed_at && since_ms <= self->config.router_timeout_s * MSEC_PER_SEC)
        return;
    s_renew (self, "hello-refused");
}

static void
s_on_welcome (gateway_t *self, wire_msg_t *msg)
{
    self->epoch = msg->epoch;
    self->welcomed = true;
    self->hello_pending = false;
    zsys_info ("gateway: welcomed epoch=%" PRIu64, self->epoch);
    if (!self->resyncing)
        return;
    self->resyncing = false;
    //  The new router's PUB may not have our subscriptions yet: probe
    //  every room again, and each session logs in once its room is live
    subs_reprobe (self->subs);
    subs_each_probing (self->subs, s_probe_room, self);
    for (session_t *session = sessions_first (self->sessions);
         session; session = sessions_next (self->sessions))
        session_resync (session);
    client_set_resume (self->clients);
}

static void
s_on_beat (gateway_t *self, wire_msg_t *msg)
{
    self->last_beat = loop_now (self->loop);
    self->beat_epoch = msg->epoch;
    if (self->router_lost) {
        self->router_lost = false;
        zsys_info ("gateway: router back epoch=%" PRIu64, msg->epoch);
        format_notice (self->format, FORMAT_ROUTER_BACK);
        s_tell_everyone (self);
    }
    if (self->welcomed && msg->epoch != self->epoch)
        s_start_resync (self, msg->epoch);
    else
    if (!self->welcomed
    &&  self->last_beat - self->hello_at > self->config.router_timeout_s * MSEC_PER_SEC)
        s_send_hello (self);    //  our first HELLO went to a router that is gone
}

//  ---------------------------------------------------------------------
//  Drain and shutdown

static void
s_finish (gateway_t *self)
{
    if (self->state == GATEWAY_DRAINING) {
        wire_msg_t *msg = wire_msg_new (WIRE_DRAINED);
        relay_send (self->relay, &msg);
        zsys_info ("gateway: drained clients=%zu", self->closing_clients);
    }
    else
        zsys_info ("gateway: shut down clients=%zu", self->closing_clients);
    loop_stop (self->loop);
}

static int
s_on_close_timeout (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    gateway_t *self = (gateway_t *) arg;
    self->close_timer = 0;
    zsys_warning ("gateway: clients still open at deadline count=%zu",
                  client_set_size (self->clients));
    s_finish (self);
    return -1;
}

//  Common part of drain and shutdown: no new clients, no more input, no
//  LOGOUTs (the router knows), every client flushed and closed.
static void
s_close_everything (gateway_t *self, gateway_state_t state, client_close_reason_t reason)
{
    self->state = state;
    self->ctx.silent = true;
    self->closing_clients = client_set_size (self->clients);
    ports_close (self->ports);
    client_set_close_all (self->clients, reason);
    self->close_timer = loop_timer_add (self->loop,
        self->config.drain_linger_ms + GATEWAY_CLOSE_MARGIN_MS, false, s_on_close_timeout, self);
}

static void
s_start_drain (gateway_t *self)
{
    if (self->state != GATEWAY_RUNNING)
        return;
    zsys_info ("gateway: draining clients=%zu", client_set_size (self->clients));
    s_close_everything (self, GATEWAY_DRAINING, CLIENT_CLOSE_DRAIN);
}

static void
s_start_shutdown (gateway_t *self)
{
    if (self->state != GATEWAY_RUNNING) {
        s_finish (self);        //  a second signal: stop waiting
        return;
    }
    zsys_info ("gateway: shutting down clients=%zu", client_set_size (self->clients));
    wire_msg_t *msg = wire_msg_new (WIRE_BYE);
    relay_send (self->relay, &msg);
    relay_mute (self->relay);
    format_notice (self->format, FORMAT_SHUTTING_DOWN);
    s_tell_everyone (self);
    s_close_everything (self, GATEWAY_SHUTTING_DOWN, CLIENT_CLOSE_SHUTDOWN);
}

static void
s_on_signal (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) events;
    gateway_t *self = (gateway_t *) arg;
    struct signalfd_siginfo info;
    while (read (fd, &info, sizeof (info)) == (ssize_t) sizeof (info)) {
        zsys_info ("gateway: signal signo=%u", info.ssi_signo);
        if (info.ssi_signo != SIGHUP)
            s_start_shutdown (self);
        else
            ports_reload (self->ports);
    }
}

//  Last hook of each pass, after the client set reaped: are we done?
static void
s_on_late_hook (loop_t *loop, void *arg)
{
    (void) loop;
    gateway_t *self = (gateway_t *) arg;
    gateway_metrics_batch_done ();
    if (self->state != GATEWAY_RUNNING && self->close_timer
    &&  client_set_size (self->clients) == 0) {
        loop_timer_cancel (self->loop, self->close_timer);
        self->close_timer = 0;
        s_finish (self);
    }
    //  A LOGOUT sent while reaping may have swallowed ZeroMQ's edge
    relay_recheck (self->relay);
}

//  ---------------------------------------------------------------------
//  Relay events

static void
s_on_reply (void *owner, wire_msg_t **msg_p)
{
    gateway_t *self = (gateway_t *) owner;
    wire_msg_t *msg = *msg_p;
    switch (msg->id) {
        case WIRE_WELCOME:
            s_on_welcome (self, msg);
            break;
        case WIRE_RESYNC:
            s_start_resync (self, msg->epoch);
            break;
        case WIRE_HELLO_REFUSED:
            s_on_hello_refused (self);
            break;
        case WIRE_HISTORY_LINE:
        case WIRE_HISTORY_ACTION:
        case WIRE_HISTORY_END:
            //  Client 0: the answer to a recovery of missed room traffic
            if (msg->client == 0) {
                fanout_on_recovered (&self->fanout, msg);
                break;
            }
            //  fall through
        default: {
            session_t *session = sessions_lookup (self->sessions, msg->client);
            if (session)
                session_on_reply (session, msg);
            else
            if (self->config.verbose)
                zsys_debug ("gateway: reply for gone client=%" PRIu64 " verb=%s",
                            msg->client, wire_id_name (msg->id));
        }
    }
    wire_msg_destroy (msg_p);
}

static void
s_on_probed (gateway_t *self, wire_msg_t *msg)
{
    if (!msg->gateway || !streq (msg->gateway, self->id)
    ||  !subs_probed (self->subs, msg->room, msg->client))
        return;
    subs_room_t *room = subs_lookup (self->subs, msg->room);
    if (self->config.verbose)
        zsys_debug ("gateway: room live room=%s", msg->room);
    size_t count;
    uint64_t *waiters = subs_room_take_waiters (room, &count);
    for (size_t index = 0; index < count; index++) {
        session_t *session = sessions_lookup (self->sessions, waiters [index]);
        if (session)
            session_room_live (session, room);
    }
    free (waiters);
}

static void
s_on_publish (void *owner, wire_msg_t **msg_p)
{
    gateway_t *self = (gateway_t *) owner;
    wire_msg_t *msg = *msg_p;
    switch (msg->id) {
        case WIRE_BEAT:
            s_on_beat (self, msg);
            break;
        case WIRE_DRAIN:
            s_start_drain (self);
            break;
        case WIRE_PROBED:
            s_on_probed (self, msg);
            break;
        default:
            //  May keep it (held behind a recovery of missed lines)
            fanout_room_message (&self->fanout, msg_p);
    }
    wire_msg_destroy (msg_p);
}

static void
s_on_writable (void *owner)
{
    gateway_t *self = (gateway_t *) owner;
    if (!self->resyncing && self->state == GATEWAY_RUNNING)
        client_set_resume (self->clients);
}

//  ---------------------------------------------------------------------
//  Timers

static int
s_on_heartbeat (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    gateway_t *self = (gateway_t *) arg;
    wire_msg_t *msg = wire_msg_new (WIRE_HEARTBEAT);
    relay_try_send (self->relay, &msg);
    return 0;
}

static int
s_on_tick (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    gateway_t *self = (gateway_t *) arg;
    subs_probe_due (self->subs, s_probe_due, self);
    session_expire (&self->ctx);
    fanout_tick (&self->fanout, loop_now (loop));
    int64_t silent_ms = loop_now (loop) - self->last_beat;
    if (!self->router_lost && self->state == GATEWAY_RUNNING
    &&  silent_ms > self->config.router_timeout_s * MSEC_PER_SEC) {
        self->router_lost = true;
        zsys_warning ("gateway: router lost silent_ms=%" PRId64, silent_ms);
        format_error (self->format, FORMAT_LOST_ROUTER);
        s_tell_everyone (self);
    }
    //  The router beats (so it is up, and the same one our HELLO went
    //  to) but has not answered our HELLO for a router timeout: it does
    //  not hear us on this uplink, or not as us
    int64_t unanswered_ms = loop_now (loop) - self->hello_at;
    if (self->hello_pending && !self->router_lost && self->state == GATEWAY_RUNNING
    &&  self->beat_epoch && self->beat_epoch == self->hello_epoch
    &&  unanswered_ms > self->config.router_timeout_s * MSEC_PER_SEC)
        s_renew (self, "hello-unanswered");
    //  Ready: the router beats and knows us (HAProxy sends no new clients else)
    bool router_up = self->welcomed && !self->router_lost && !self->resyncing;
    ports_set_ready (self->ports, router_up || self->config.health_ignore_router);
    gateway_gauges_t gauges = {
        .clients_tcp = client_set_transport_size (self->clients, &transport_tcp),
        .clients_tls = client_set_transport_size (self->clients, &transport_tls),
        .clients_ws = client_set_transport_size (self->clients, &transport_ws)
                    + client_set_transport_size (self->clients, &transport_ws_json),
        .tls_handshaking = ports_tls_handshaking (self->ports),
        .queued = relay_queued (self->relay),
        .rooms = subs_size (self->subs),
        .router_up = router_up
    };
    ports_publish (self->ports, &gauges, loop_now (loop));
    return 0;
}

//  ---------------------------------------------------------------------
//  Construction

static void
s_make_id (gateway_t *self)
{
    int name_max = WIRE_GATEWAY_MAX - 1 - GATEWAY_ID_SUFFIX_HEX;
    uint32_t suffix = 0;
    if (getrandom (&suffix, sizeof (suffix), 0) != (ssize_t) sizeof (suffix))
        suffix = (uint32_t) getpid () ^ (uint32_t) zclock_usecs ();
    snprintf (self->id, sizeof (self->id), "%.*s-%08x", name_max, self->config.name, suffix);
}

//  A fresh secret routing id for the uplink: a random UUID in hex
//  (never starting with the zero byte ZeroMQ reserves).
static void
s_make_route (gateway_t *self)
{
    zuuid_t *uuid = zuuid_new ();
    assert (uuid);
    snprintf (self->route, sizeof (self->route), "%s", zuuid_str (uuid));
    zuuid_destroy (&uuid);
}

static int
s_open_signals (gateway_t *self)
{
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGHUP);
    self->signal_fd = signalfd (-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (self->signal_fd == -1)
        return -1;
    return loop_add (self->loop, self->signal_fd, LOOP_READABLE, s_on_signal, self);
}

//  The per-address caps, from --max-per-ip, --connect-rate-per-ip and
//  --admission-exempt (checked by settings.c already).

static int
s_admission_new (gateway_t *self, const gateway_config_t *config)
{
    cidr_list_t exempt;
    admission_limits_t limits = {
        .max_per_address = (uint32_t) config->max_per_ip,
        .exempt = &exempt
    };
    if (cidr_parse (&exempt, config->admission_exempt)
    ||  admission_parse_rate (&limits, config->connect_rate_per_ip ? config->connect_rate_per_ip: "0")) {
        zsys_error ("gateway: bad --admission-exempt or --connect-rate-per-ip");
        return -1;
    }
    self->admission = admission_new (&limits);
    if (!self->admission)
        return -1;
    client_set_set_admission (self->clients, self->admission);
    return 0;
}

//  The client set, with the limits from the settings and this file's
//  client events. Returns 0 or -1 (logged).
static int
s_clients_new (gateway_t *self)
{
    const gateway_config_t *config = &self->config;
    client_limits_t limits = {
        .max_line = (size_t) config->max_line,
        .outbuf_max = (size_t) config->outbuf_max,
        .sndbuf = (int) config->sndbuf,
        .idle_timeout_ms = config->idle_timeout_s * MSEC_PER_SEC,
        .idle_warning_ms = config->idle_warning_s * MSEC_PER_SEC,
        .stuck_timeout_ms = config->stuck_timeout_s * MSEC_PER_SEC,
        .linger_ms = config->drain_linger_ms,
        .verbose = config->verbose,
        .telnet_offer = !config->no_telnet_offer,
        .hold_max = (size_t) config->hold_max,
        .log_addresses = config->log_addresses,
        .flood = {
            .rate = (uint32_t) config->rate_lines,
            .burst = (uint32_t) config->rate_burst
        }
    };
    client_events_t client_events = {
        s_on_line, s_on_closed, s_on_opened, s_on_held_line, s_on_eof
    };
    self->clients = client_set_new (self->loop, &limits, &client_events, self);
    if (!self->clients) {
        zsys_error ("gateway: cannot create the client set");
        return -1;
    }
    return 0;
}

gateway_t *
gateway_new (const gateway_config_t *config)
{
    assert (config);
    gateway_t *self = (gateway_t *) zmalloc (sizeof (gateway_t));
    assert (self);
    self->config = *config;
    self->state = GATEWAY_RUNNING;
    gateway_metrics_start ();
    self->signal_fd = -1;
    s_make_id (self);
    s_make_route (self);

    self->loop = loop_new ();
    self->format = format_new ();
    self->sessions = sessions_new ();
    self->ctx.slab = session_slab_new ();
    if (!self->loop || !self->format || !self->sessions || !self->ctx.slab) {
        zsys_error ("gateway: cannot allocate");
        gateway_destroy (&self);
        return NULL;
    }
    if (s_open_signals (self)) {
        zsys_error ("gateway: cannot watch signals error=%s", strerror (errno));
        gateway_destroy (&self);
        return NULL;
    }
    //  The relay's hook must run before the client set's flush (a late
    //  hook), so room traffic drained in it leaves in the same pass.
    relay_config_t relay_config = {
        .ingress = config->ingress,
        .publish = config->publish,
        .identity = self->route,
        .uplink_hwm = (int) config->uplink_hwm,
        .sub_hwm = (int) config->sub_hwm,
        .linger_ms = GATEWAY_LINGER_MS,
        .curve_secret = config->curve_secret,
        .curve_server = config->curve_server,
        .retry_ms = MAX (config->router_timeout_s * MSEC_PER_SEC, config->heartbeat_interval_ms),
        .verbose = config->verbose
    };
    relay_events_t relay_events = { s_on_reply, s_on_publish, s_on_writable };
    self->relay = relay_new (self->loop, &relay_config, &relay_events, self);
    subs_events_t subs_events = { s_on_subscribe, s_on_unsubscribe };
    self->subs = subs_new (&subs_events, self);
    if (!self->relay || !self->subs) {
        gateway_destroy (&self);
        return NULL;
    }
    self->ctx.relay = self->relay;
    self->ctx.subs = self->subs;
    self->ctx.format = self->format;
    self->ctx.loop = self->loop;
    self->ctx.join_timeout_ms = config->join_timeout_s * MSEC_PER_SEC;
    self->ctx.list_max = (uint64_t) config->list_max;
    self->fanout.subs = self->subs;
    self->fanout.format = self->format;
    self->fanout.sessions = self->sessions;
    self->fanout.gateway_id = self->id;
    self->fanout.relay = self->relay;
    self->fanout.now = loop_now (self->loop);
    self->fanout.announce_max = (uint64_t) config->announce_max;

    if (s_clients_new (self)) {
        gateway_destroy (&self);
        return NULL;
    }
    self->fanout.clients = self->clients;
    if (s_admission_new (self, config)) {
        gateway_destroy (&self);
        return NULL;
    }
    loop_hook_add_late (self->loop, s_on_late_hook, self);
    self->ports = ports_new (self->loop, self->clients, &self->config);
    if (!self->ports) {
        gateway_destroy (&self);
        return NULL;
    }
    self->last_beat = loop_now (self->loop);
    s_send_hello (self);
    self->heartbeat_timer = loop_timer_add (self->loop, config->heartbeat_interval_ms,
                                            true, s_on_heartbeat, self);
    self->tick_timer = loop_timer_add (self->loop, GATEWAY_PROBE_INTERVAL_MS,
                                       true, s_on_tick, self);
    ports_log_ready (self->ports, self->id);
    return self;
}

void
gateway_destroy (gateway_t **self_p)
{
    assert (self_p);
    gateway_t *self = *self_p;
    if (!self)
        return;
    if (self->ports)
        ports_close (self->ports);          //  their stages need the client set
    client_set_destroy (&self->clients);    //  closes sessions via on_closed
    ports_destroy (&self->ports);           //  after the clients: none uses TLS now
    admission_destroy (&self->admission);
    if (self->sessions)
        assert (sessions_size (self->sessions) == 0);
    sessions_destroy (&self->sessions);
    slab_destroy (&self->ctx.slab);
    fanout_fini (&self->fanout);
    subs_destroy (&self->subs);
    relay_destroy (&self->relay);
    if (self->signal_fd != -1) {
        loop_remove (self->loop, self->signal_fd);
        close (self->signal_fd);
    }
    loop_destroy (&self->loop);
    format_destroy (&self->format);
    free (self);
    *self_p = NULL;
}

int
gateway_run (gateway_t *self)
{
    assert (self);
    return loop_run (self->loop);
}

const char *
gateway_id (gateway_t *self)
{
    assert (self);
    return self->id;
}

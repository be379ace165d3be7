/*  =========================================================================
    router.c - the zchat router: sockets, loop, lifecycle, zchat-ctl

    Wires the registries together: gateways (who is connected), sessions
    (who is logged in), nicks (who owns which nickname), rooms (who is
    where, and each room's sequence number). This file owns the sockets
    and the loop; requests.c answers each gateway request, liveness.c
    runs the timers and the drain (router_internal.h holds the state all
    three share).

    The loop waits in poll() on the ZMQ_FD of the ingress and control
    sockets (plus the actor pipe in tests); timers (BEAT, gateway
    timeouts, the drain deadline) are computed from zclock_mono each
    pass. After a wake-up each readable socket is read with ZMQ_DONTWAIT
    until EAGAIN (ingress in bounded batches), so a message costs no
    ZMQ_EVENTS query or zmq_poll of its own: at low rates those mailbox
    checks (poll + getpid each) were most of the router's system calls.
    =========================================================================
*/
#include "router_internal.h"
#include "curve.h"
#include <sys/random.h>
#include <poll.h>

#define ROUTER_LINGER_MS        100     //  let last replies out at exit
#define ROUTER_MAX_FRAME        (WIRE_TEXT_MAX * 4)  //  bytes; the largest legitimate frame is a text
#define ROUTER_INGRESS_BATCH    1000    //  requests read per poll wake-up
#define ROUTER_EPOCH_MASK       INT64_MAX   //  epochs are 63-bit
#define ROUTER_PIPE_TERM        "$TERM"     //  actor pipe: stop now
#define ROUTER_PIPE_DRAIN       "DRAIN"     //  actor pipe: start a drain

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
    config->store = STORE_DEFAULT_SPEC;
    store_config_defaults (&config->history);
    config->replay = CHAT_REPLAY_LINES;
    config->history_max = CHAT_HISTORY_MAX;
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

//  Create a socket of type, set up (a CURVE server when cert is not
//  NULL), bound to endpoint; NULL on failure.
static zsock_t *
s_bind (int type, const char *endpoint, int hwm, zcert_t *cert, char **bound_p)
{
    zsock_t *sock = zsock_new (type);
    assert (sock);
    if (cert)
        curve_apply_server (sock, cert, ZAP_DOMAIN_GATEWAY);
    zsock_set_linger (sock, ROUTER_LINGER_MS);
    zsock_set_sndhwm (sock, hwm);
    //  A PUB receives its subscribers' subscriptions: a gateway resends
    //  all of them (one per room) at once on reconnect
    zsock_set_rcvhwm (sock, hwm);
    if (type == ZMQ_ROUTER) {
        //  Unicast to a vanished gateway fails at once (EHOSTUNREACH)
        //  instead of vanishing. A gateway that reconnects (after a
        //  network blip) takes over its routing id from a half-open old
        //  connection: that id is a random secret the gateway never
        //  shows (its public gateway id is another string, bound to the
        //  routing id by HELLO), so no other peer can take it over.
        zsock_set_router_mandatory (sock, 1);
        zsock_set_router_handover (sock, 1);
        //  No legitimate frame is bigger than a text field; a peer that
        //  announces one is disconnected before the router buffers it.
        zsock_set_maxmsgsize (sock, ROUTER_MAX_FRAME);
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

//  Item callbacks of a zhashx whose values are strings it owns copies of.
static void *
s_string_copy (const void *item)
{
    char *copy = strdup ((const char *) item);
    assert (copy);
    return copy;
}

static void
s_string_free (void **item_p)
{
    zstr_free ((char **) item_p);
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
    self->lost = zhashx_new ();
    assert (self->lost);
    zhashx_set_duplicator (self->lost, s_string_copy);
    zhashx_set_destructor (self->lost, s_string_free);
    self->refused = zhashx_new ();
    assert (self->refused);
    self->metrics = metrics_new (router_metrics_defs (), ROUTER_METRIC_COUNT);

    //  The store first: a router that cannot keep history does not start
    //  (store_new has logged why), before any socket is bound.
    store_config_t history = config->history;
    history.verbose = config->verbose;
    self->store = store_new (config->store, &history);
    if (!self->store) {
        router_destroy (&self);
        return NULL;
    }
    //  CURVE: the key pair, then the ZAP handler with both allow-lists,
    //  and only then the sockets: a CURVE server bound while no handler
    //  runs would let in any client that knows its public key.
    zcert_t *cert = NULL;
    bool curve = config->curve_secret && *config->curve_secret;
    if (curve) {
        cert = curve_load_pair (config->curve_secret);
        self->zap = cert? zap_new (config->curve_allow, config->control_allow): NULL;
        if (!self->zap) {
            zcert_destroy (&cert);
            router_destroy (&self);
            return NULL;
        }
    }
    else
        zsys_warning ("router: curve off: gateway links and the control socket are "
                      "unauthenticated plaintext (see --curve-secret)");
    self->ingress = s_bind (ZMQ_ROUTER, config->ingress, CHAT_UPLINK_HWM, cert,
                            &self->ingress_endpoint);
    if (self->ingress)
        self->publish = s_bind (ZMQ_PUB, config->publish, (int) config->pub_hwm, cert,
                                &self->publish_endpoint);
    if (self->publish)
        self->control = control_new (config->control, cert);
    zcert_destroy (&cert);
    if (self->control && config->metrics_listen && *config->metrics_listen) {
        metrics_server_config_t metrics_config;
        metrics_server_config_defaults (&metrics_config);
        metrics_config.address = config->metrics_listen;
        self->metrics_server = metrics_server_new (&metrics_config, router_metrics_defs (),
                                                   ROUTER_METRIC_COUNT, "router");
        if (!self->metrics_server)
            control_destroy (&self->control);
    }
    if (!self->control) {
        router_destroy (&self);
        return NULL;
    }
    self->now = zclock_mono ();
    self->next_beat = self->now;
    self->next_check = self->now + ROUTER_CHECK_MS;
    self->next_metrics = self->now;
    zsys_info ("router: ready ingress=%s publish=%s control=%s store=%s metrics=%d curve=%s",
               self->ingress_endpoint, self->publish_endpoint,
               control_endpoint (self->control), store_name (self->store),
               router_metrics_port (self), curve? "on": "off");
    return self;
}

void
router_destroy (router_t **self_p)
{
    assert (self_p);
    router_t *self = *self_p;
    if (!self)
        return;
    metrics_server_destroy (&self->metrics_server);
    metrics_destroy (&self->metrics);
    control_destroy (&self->control);
    zsock_destroy (&self->publish);
    zsock_destroy (&self->ingress);
    //  After the sockets it vouched for
    zap_destroy (&self->zap);
    zstr_free (&self->publish_endpoint);
    zstr_free (&self->ingress_endpoint);
    zhashx_destroy (&self->unknown);
    zhashx_destroy (&self->lost);
    zhashx_destroy (&self->refused);
    rooms_destroy (&self->rooms);
    nicks_destroy (&self->nicks);
    sessions_destroy (&self->sessions);
    gateways_destroy (&self->gateways);
    //  Last: waits until every queued line is on disk
    store_destroy (&self->store);
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

int
router_metrics_port (router_t *self)
{
    assert (self);
    return self->metrics_server? metrics_server_port (self->metrics_server): 0;
}

store_t *
router_store (router_t *self)
{
    assert (self);
    return self->store;
}

uint64_t
router_epoch (router_t *self)
{
    assert (self);
    return self->epoch;
}

//  ---------------------------------------------------------------------
//  Sending

void
router_publish (router_t *self, wire_msg_t **msg_p)
{
    ROUTER_COUNT (self, ROUTER_METRIC_PUBLISHED);
    wire_msg_send (msg_p, self->publish, 0);
}

void
router_publish_borrowed (router_t *self, const wire_msg_t *msg)
{
    ROUTER_COUNT (self, ROUTER_METRIC_PUBLISHED);
    wire_msg_write (msg, self->publish, NULL, 0);
}

//  ---------------------------------------------------------------------
//  zchat-ctl commands

//  Print a gateway's own bytes (its id or display name) into the STATUS
//  body with control characters as '?', so they cannot end the line.
static void
s_print_field (FILE *stream, const char *value)
{
    for (const char *byte = value; *byte; byte++)
        fputc (iscntrl ((unsigned char) *byte)? '?': *byte, stream);
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
    store_stats_t history;
    store_stats (self->store, &history);
    fprintf (stream, "store=%s\nhistory_records=%" PRIu64 "\nhistory_written=%" PRIu64
             "\nhistory_pending=%" PRIu64 "\nhistory_write_errors=%" PRIu64 "\n",
             store_name (self->store), history.records, history.written, history.pending,
             history.write_errors);
    zlistx_t *gateways = gateways_sorted (self->gateways);
    for (gateway_t *gateway = (gateway_t *) zlistx_first (gateways); gateway;
         gateway = (gateway_t *) zlistx_next (gateways)) {
        size_t count = 0;
        free (sessions_of_gateway (self->sessions, gateway_id (gateway), &count));
        fprintf (stream, "gateway id=");
        s_print_field (stream, gateway_id (gateway));
        fprintf (stream, " name=");
        s_print_field (stream, gateway_name (gateway));
        fprintf (stream, " sessions=%zu\n", count);
    }
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

//  Answer one zchat-ctl request; false when none was waiting.
static bool
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
        router_start_drain (self, "control");
    }
    else
    if (request == CONTROL_UNKNOWN)
        control_reply (self->control, false, "error=unknown command\n");
    return request != CONTROL_AGAIN;
}

//  ---------------------------------------------------------------------
//  The loop

//  The history store's figures, as its rows (the store counts them).
static void
s_history_metrics (router_t *self)
{
    store_stats_t history;
    store_stats (self->store, &history);
    metrics_t *metrics = self->metrics;
    metrics_set (metrics, ROUTER_METRIC_HISTORY_RECORDS, history.records);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_BYTES, history.bytes);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_ROOMS, history.rooms);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_APPENDS, history.appends);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_EVICTED, history.evicted);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_PENDING, history.pending);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_WRITES, history.written);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_WRITE_ERRORS, history.write_errors);
    metrics_set (metrics, ROUTER_METRIC_HISTORY_DROPPED, history.dropped);
    metrics_set_histogram (metrics, ROUTER_METRIC_HISTORY_COMMIT, &history.commits);
}

//  Hand the metrics server a copy of the values, the gauges set from the
//  registries first, at most once per ROUTER_METRICS_PUBLISH_MS; returns
//  ms until the next copy is due (or INT64_MAX with no server).
static int64_t
s_publish_metrics (router_t *self)
{
    if (!self->metrics_server)
        return INT64_MAX;
    if (self->now >= self->next_metrics) {
        metrics_set (self->metrics, ROUTER_METRIC_SESSIONS, sessions_size (self->sessions));
        metrics_set (self->metrics, ROUTER_METRIC_ROOMS, rooms_size (self->rooms));
        metrics_set (self->metrics, ROUTER_METRIC_GATEWAYS, gateways_size (self->gateways));
        metrics_set (self->metrics, ROUTER_METRIC_DRAINING, self->draining);
        s_history_metrics (self);
        if (self->zap) {
            //  Counted on the handler's thread; its totals are ours
            metrics_set (self->metrics, ROUTER_METRIC_AUTH_REFUSED_GATEWAY,
                         zap_refused (self->zap, ZAP_GATEWAY));
            metrics_set (self->metrics, ROUTER_METRIC_AUTH_REFUSED_CONTROL,
                         zap_refused (self->zap, ZAP_CONTROL));
        }
        metrics_server_publish (self->metrics_server, self->metrics);
        self->next_metrics = self->now + ROUTER_METRICS_PUBLISH_MS;
    }
    return self->next_metrics - self->now;
}

//  What the loop waits on, by ZMQ_FD
typedef enum {
    ROUTER_WAIT_INGRESS,
    ROUTER_WAIT_CONTROL,
    ROUTER_WAIT_PIPE,           //  last: only there in actor mode
    ROUTER_WAIT_COUNT
} router_wait_t;

//  Handle one command from the actor pipe without waiting. Returns 1 to
//  stop ($TERM, or the pipe is gone), 0 after a command, -1 if none.
static int
s_handle_pipe (router_t *self, zsock_t *pipe)
{
    zmq_msg_t command;
    zmq_msg_init (&command);
    void *handle = zsock_resolve (pipe);
    if (zmq_msg_recv (&command, handle, ZMQ_DONTWAIT) == -1) {
        int again = errno == EAGAIN;
        zmq_msg_close (&command);
        return again? -1: 1;
    }
    const char *data = (const char *) zmq_msg_data (&command);
    size_t size = zmq_msg_size (&command);
    int rc = 0;
    if (size == strlen (ROUTER_PIPE_TERM) && memcmp (data, ROUTER_PIPE_TERM, size) == 0)
        rc = 1;
    else
    if (size == strlen (ROUTER_PIPE_DRAIN) && memcmp (data, ROUTER_PIPE_DRAIN, size) == 0)
        router_start_drain (self, "pipe");
    while (zmq_msg_more (&command) && zmq_msg_recv (&command, handle, 0) != -1)
        ;
    zmq_msg_close (&command);
    return rc;
}

int
router_run (router_t *self, zsock_t *pipe)
{
    assert (self);
    //  A ZMQ_FD is edge-triggered: it fires when the socket's mailbox gets
    //  a command, and a send or recv may consume that without telling us.
    //  So a socket counts as readable until a recv returns EAGAIN (which
    //  empties the mailbox), and every socket is read that way after it
    //  fires; the first pass reads them all. Nothing sends on ingress or
    //  control after their last EAGAIN of a pass (timers and the drain
    //  only publish), so a wait never sleeps on an unread message.
    struct pollfd waits [ROUTER_WAIT_COUNT] = {
        [ROUTER_WAIT_INGRESS] = { .fd = zsock_fd (self->ingress), .events = POLLIN },
        [ROUTER_WAIT_CONTROL] = { .fd = zsock_fd (control_sock (self->control)),
                                  .events = POLLIN },
        [ROUTER_WAIT_PIPE]    = { .fd = pipe? zsock_fd (pipe): -1, .events = POLLIN },
    };
    nfds_t wait_count = pipe? ROUTER_WAIT_COUNT: ROUTER_WAIT_PIPE;
    bool readable [ROUTER_WAIT_COUNT] = { true, true, pipe != NULL };

    bool terminated = false;
    int64_t wait_ms = 0;
    while (!self->finished && !terminated) {
        bool pending = readable [ROUTER_WAIT_INGRESS] || readable [ROUTER_WAIT_CONTROL]
                    || readable [ROUTER_WAIT_PIPE];
        //  SIGINT/SIGTERM interrupt the wait (EINTR) and start a drain
        int events = poll (waits, wait_count, pending? 0: (int) wait_ms);
        for (nfds_t index = 0; events > 0 && index < wait_count; index++)
            if (waits [index].revents)
                readable [index] = true;
        self->now = zclock_mono ();
        if (zsys_interrupted)
            router_start_drain (self, "signal");
        if (readable [ROUTER_WAIT_PIPE]) {
            int rc;
            while ((rc = s_handle_pipe (self, pipe)) == 0)
                ;
            terminated = rc == 1;
            readable [ROUTER_WAIT_PIPE] = false;
        }
        if (readable [ROUTER_WAIT_INGRESS]) {
            int count = 0;
            while (count < ROUTER_INGRESS_BATCH && router_handle_ingress (self) == 0)
                count++;
            //  A full batch may have left messages: come straight back
            readable [ROUTER_WAIT_INGRESS] = count == ROUTER_INGRESS_BATCH;
        }
        if (readable [ROUTER_WAIT_CONTROL]) {
            int count = 0;
            while (count < ROUTER_INGRESS_BATCH && s_handle_control (self))
                count++;
            readable [ROUTER_WAIT_CONTROL] = count == ROUTER_INGRESS_BATCH;
        }
        wait_ms = router_run_timers (self);
        wait_ms = MIN (wait_ms, s_publish_metrics (self));
        //  The store's writer wants its batches handed over on time
        int64_t store_ms = store_tick (self->store, self->now);
        if (store_ms >= 0 && store_ms < wait_ms)
            wait_ms = store_ms;
    }
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

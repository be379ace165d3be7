/*  =========================================================================
    ports.c - the gateway's listening ports

    Opens the client port, the TLS port, the HTTP and HTTPS ports, the
    health port and the /metrics port, in that order (so the binds, and
    the log lines of a failing one, come as they always did), wires each
    client port's stage in front of the client set, and makes every port
    count the sockets waiting in the others' stages against --max-clients.
    =========================================================================
*/
#include "ports.h"
#include "listener.h"
#include "tls.h"
#include "tls_handshake.h"
#include "http_stage.h"
#include "health.h"
#include "address.h"

#define MSEC_PER_SEC                1000

struct _ports_t {
    loop_t *loop;
    client_set_t *clients;          //  where every client port's sockets go
    const gateway_config_t *config; //  the gateway's settings (borrowed)
    listener_t *listener;           //  the client port
    listener_t *http_listener;      //  --http-listen, or NULL
    listener_t *https_listener;     //  --https-listen, or NULL
    tls_handshake_t *https_handshakes;  //  its sockets before their request
    http_stage_t *http_stage;       //  requests of both, or NULL
    tls_t *tls;                     //  TLS port's certificate and policy, or NULL
    listener_t *tls_listener;       //  TLS port, or NULL
    tls_handshake_t *handshakes;    //  TLS port's sockets before they are clients
    health_t *health;               //  health endpoint, or NULL
    metrics_server_t *metrics_server;   //  GET /metrics, or NULL
};

//  A client port on address: keepalive, and the PROXY protocol when
//  set. Returns NULL (logged) on failure.
static listener_t *
s_listener_new (ports_t *self, const char *address)
{
    const gateway_config_t *config = self->config;
    listener_t *listener = listener_new (self->loop, address, (int) config->backlog,
                                         self->clients, (size_t) config->max_clients);
    if (!listener)
        return NULL;
    listener_set_keepalive (listener, (int) MIN (config->keepalive_s, INT_MAX));
    if (config->proxy_protocol) {
        cidr_list_t trusted;
        if (cidr_parse (&trusted, config->trusted_proxy)
        ||  listener_set_proxy_protocol (listener, &trusted)) {
            zsys_error ("gateway: cannot take the PROXY protocol from --trusted-proxy");
            listener_destroy (&listener);
            return NULL;
        }
        zsys_info ("gateway: client port takes PROXY v2 from trusted=%s address=%s",
                   config->trusted_proxy, address);
    }
    return listener;
}

//  The TLS port, with --tls-listen: the certificate (a bad one stops the
//  start), the listener, and the handshake stage in front of the
//  client set. Returns 0 (also when off) or -1 (logged).
static int
s_tls_new (ports_t *self)
{
    const gateway_config_t *config = self->config;
    if (config->https_listen && *config->https_listen) {
        //  The HTTPS port's certificate; its handshakes feed the HTTP stage
        self->tls = tls_new (config->tls_cert, config->tls_key);
        if (!self->tls)
            return -1;
    }
    if (!config->tls_listen || !*config->tls_listen)
        return 0;
    if (!self->tls)
        self->tls = tls_new (config->tls_cert, config->tls_key);
    if (!self->tls)
        return -1;
    self->tls_listener = s_listener_new (self, config->tls_listen);
    if (!self->tls_listener)
        return -1;
    self->handshakes = tls_handshake_new (self->loop, self->tls, self->clients,
                                          config->tls_handshake_timeout_s * MSEC_PER_SEC);
    if (!self->handshakes)
        return -1;
    tls_handshake_attach (self->handshakes, self->tls_listener);
    //  Both ports share --max-clients: the plain one counts the handshakes too
    listener_share_limit (self->listener, tls_handshake_waiting, self->handshakes);
    return 0;
}

//  Sockets waiting in the TLS handshake stage, the HTTP stage, or both:
//  what a port counts against the shared limit besides its own stage.
static size_t
s_waiting_tls (void *arg)
{
    ports_t *self = (ports_t *) arg;
    return (self->handshakes? tls_handshake_size (self->handshakes): 0)
         + (self->https_handshakes? tls_handshake_size (self->https_handshakes): 0);
}

static size_t
s_waiting_http (void *arg)
{
    ports_t *self = (ports_t *) arg;
    return self->http_stage? http_stage_size (self->http_stage): 0;
}

static size_t
s_waiting_stages (void *arg)
{
    return s_waiting_tls (arg) + s_waiting_http (arg);
}

//  The TLS port's and the HTTPS port's own stages count themselves.
static size_t
s_waiting_others_tls (void *arg)
{
    ports_t *self = (ports_t *) arg;
    return s_waiting_stages (arg) - tls_handshake_size (self->handshakes);
}

static size_t
s_waiting_others_https (void *arg)
{
    ports_t *self = (ports_t *) arg;
    return s_waiting_stages (arg) - tls_handshake_size (self->https_handshakes);
}

//  --http-listen: a second client port whose sockets wait in the HTTP
//  stage (the page, the WebSocket upgrade) before they become clients.
//  Returns 0 (also when off) or -1 (logged).
static int
s_http_new (ports_t *self)
{
    const gateway_config_t *config = self->config;
    bool plain = config->http_listen && *config->http_listen;
    bool secure = config->https_listen && *config->https_listen;
    if (!plain && !secure)
        return 0;
    http_stage_config_t stage_config = {
        .origins = config->ws_origin,
        .timeout_ms = config->http_timeout_s * MSEC_PER_SEC,
        .max_message = (size_t) config->max_line,
        .ping_interval_ms = config->ws_ping_interval_s * MSEC_PER_SEC
    };
    self->http_stage = http_stage_new (self->loop, self->clients, &stage_config);
    if (plain) {
        self->http_listener = s_listener_new (self, config->http_listen);
        if (!self->http_listener)
            return -1;
        listener_set_stage (self->http_listener, http_stage_ops (), self->http_stage);
        listener_share_limit (self->http_listener, s_waiting_tls, self);
    }
    if (secure) {
        //  wss: the TLS handshake first, then the same HTTP stage over TLS
        self->https_listener = s_listener_new (self, config->https_listen);
        self->https_handshakes = tls_handshake_new (self->loop, self->tls, self->clients,
                                                    config->tls_handshake_timeout_s * MSEC_PER_SEC);
        if (!self->https_listener || !self->https_handshakes)
            return -1;
        tls_handshake_set_done (self->https_handshakes, http_stage_add_over, self->http_stage);
        tls_handshake_attach (self->https_handshakes, self->https_listener);
        listener_share_limit (self->https_listener, s_waiting_others_https, self);
    }
    //  Every port's waiting sockets count against --max-clients on every port
    listener_share_limit (self->listener, s_waiting_stages, self);
    if (self->tls_listener)
        listener_share_limit (self->tls_listener, s_waiting_others_tls, self);
    return 0;
}

//  The health endpoint's answer: clients connected now.
static size_t
s_client_count (void *arg)
{
    return client_set_size (((ports_t *) arg)->clients);
}

//  The ports after the client ones: health, then /metrics. Returns 0
//  (also when off) or -1 (logged).
static int
s_service_new (ports_t *self)
{
    const gateway_config_t *config = self->config;
    if (config->health_listen && *config->health_listen) {
        self->health = health_new (self->loop, config->health_listen, s_client_count, self);
        if (!self->health)
            return -1;
        health_set_ready (self->health, config->health_ignore_router);
    }
    if (config->metrics_listen && *config->metrics_listen) {
        self->metrics_server = gateway_metrics_server_new (config->metrics_listen);
        if (!self->metrics_server)
            return -1;
    }
    return 0;
}

ports_t *
ports_new (loop_t *loop, client_set_t *clients, const gateway_config_t *config)
{
    assert (loop);
    assert (clients);
    assert (config);
    ports_t *self = (ports_t *) zmalloc (sizeof (ports_t));
    assert (self);
    self->loop = loop;
    self->clients = clients;
    self->config = config;
    self->listener = s_listener_new (self, config->listen);
    if (!self->listener || s_tls_new (self) || s_http_new (self) || s_service_new (self))
        ports_destroy (&self);
    return self;
}

void
ports_close (ports_t *self)
{
    assert (self);
    listener_destroy (&self->listener);
    listener_destroy (&self->http_listener);
    listener_destroy (&self->https_listener);
    tls_handshake_destroy (&self->https_handshakes);
    http_stage_destroy (&self->http_stage);
    listener_destroy (&self->tls_listener);
    tls_handshake_destroy (&self->handshakes);
    health_destroy (&self->health);
}

void
ports_destroy (ports_t **self_p)
{
    assert (self_p);
    ports_t *self = *self_p;
    if (!self)
        return;
    ports_close (self);
    metrics_server_destroy (&self->metrics_server);
    tls_destroy (&self->tls);
    free (self);
    *self_p = NULL;
}

void
ports_reload (ports_t *self)
{
    assert (self);
    if (!self->tls)
        zsys_info ("gateway: nothing to reload (no --tls-listen)");
    else
        GATEWAY_COUNT (tls_reload (self->tls)? GATEWAY_METRIC_TLS_RELOADS_FAILED:
                                               GATEWAY_METRIC_TLS_RELOADS_OK);
}

void
ports_set_ready (ports_t *self, bool ready)
{
    assert (self);
    if (self->health)
        health_set_ready (self->health, ready);
}

size_t
ports_tls_handshaking (ports_t *self)
{
    assert (self);
    return self->handshakes? tls_handshake_size (self->handshakes): 0;
}

void
ports_publish (ports_t *self, const gateway_gauges_t *gauges, int64_t now)
{
    assert (self);
    gateway_metrics_publish (self->metrics_server, gauges, now);
}

void
ports_log_ready (ports_t *self, const char *id)
{
    assert (self);
    //  The host for the ready line ("[::1]:80" -> "::1", "" -> "*"); the
    //  listener checked the address
    char host [ADDRESS_HOST_MAX] = "";
    int port = 0;
    address_parse (self->config->listen, host, &port);
    zsys_info ("gateway: listening address=%s port=%d id=%s metrics=%d tls=%d http=%d https=%d",
               *host? host: "*", listener_port (self->listener), id,
               self->metrics_server? metrics_server_port (self->metrics_server): 0,
               self->tls_listener? listener_port (self->tls_listener): 0,
               self->http_listener? listener_port (self->http_listener): 0,
               self->https_listener? listener_port (self->https_listener): 0);
}

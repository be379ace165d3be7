/*  =========================================================================
    gateway.h - the gateway server: clients on one side, the router on the other

    gateway_t wires the loop, the listening ports (ports.h), the client
    set, the sessions, the room subscriptions and the ZeroMQ relay
    together, and runs the tier's lifecycle: HELLO/WELCOME, heartbeats,
    router loss and resync, drain on the router's DRAIN, shutdown on
    SIGINT/SIGTERM, and the TLS certificate's reload on SIGHUP.
    =========================================================================
*/
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include "chat.h"

typedef struct _gateway_t gateway_t;

//  Settings (flags / environment, see main.c).
typedef struct {
    const char *listen;             //  HOST:PORT for clients
    const char *health_listen;      //  HOST:PORT for health checks; NULL or "" = none
    const char *metrics_listen;     //  HOST:PORT for GET /metrics; NULL or "" = none
    const char *http_listen;        //  HOST:PORT for the page and WebSocket; NULL or "" = none
    const char *https_listen;       //  the same over TLS (wss), with the TLS certificate
    const char *ws_origin;          //  Origins a WebSocket may come from; "" = the page's own
    int64_t ws_ping_interval_s;     //  WebSocket keepalive ping period; 0 = none
    int64_t http_timeout_s;         //  an HTTP request must be read and answered within this
    const char *tls_listen;         //  HOST:PORT for TLS clients; NULL or "" = none
    const char *tls_cert;           //  PEM certificate chain of the TLS port
    const char *tls_key;            //  PEM private key of the TLS port
    int64_t tls_handshake_timeout_s;    //  a TLS handshake not done by then is closed
    const char *ingress;            //  router's ingress endpoint
    const char *publish;            //  router's publish endpoint
    const char *curve_secret;       //  our CURVE key pair file; NULL or "" = plaintext
    const char *curve_server;       //  the router's public key file
    const char *name;               //  display name; the id adds a random suffix
    const char *io_thread_policy;   //  ZeroMQ I/O threads: batch or normal (io_threads.h)
    int64_t idle_timeout_s;         //  0 = never
    int64_t idle_warning_s;         //  warn this long before the idle close; 0 = never
    int64_t keepalive_s;            //  TCP keepalive idle time on client sockets; 0 = off
    int64_t max_clients;
    int64_t max_line;               //  bytes
    int64_t outbuf_max;             //  bytes per client, kernel send queue included
    int64_t sndbuf;                 //  SO_SNDBUF per client socket; 0 = kernel default
    int64_t stuck_timeout_s;        //  0 = never
    int64_t sub_hwm;                //  messages
    int64_t uplink_hwm;             //  messages
    int64_t queue_max;              //  requests waiting past a full uplink before
                                    //  new clients are refused; 0 = no limit
    int64_t router_timeout_s;
    int64_t heartbeat_interval_ms;
    int64_t backlog;                //  listen backlog
    int64_t drain_linger_ms;        //  wait for clients' EOF after our FIN, and
                                    //  after theirs for their requests' answers
    int64_t join_timeout_s;         //  a login or /join gives up after this; 0 = never
    int64_t hold_max;               //  bytes of input queued while a request is in flight
    int64_t list_max;               //  entries a /rooms or /who answer shows; 0 = all
    int64_t announce_max;           //  join/leave lines only in rooms up to this size; 0 = all
    int64_t rate_lines;             //  lines per second per client; 0 = no flood control
    int64_t rate_burst;             //  lines a client may send at once
    int64_t max_per_ip;             //  open connections per address (/64); 0 = no cap
    const char *connect_rate_per_ip;    //  "N/SECONDS" new connections per address; "0" = off
    const char *admission_exempt;   //  CIDR,... never capped
    bool proxy_protocol;            //  the client port takes PROXY v2 from trusted_proxy only
    const char *trusted_proxy;      //  CIDR,... of the balancers
    bool verbose;                   //  per-message traces
    bool no_telnet_offer;           //  do not ask for telnet BINARY at connect
    bool log_addresses;             //  client connect/close log lines name the address
    bool health_ignore_router;      //  health says ok while the router is unreachable
} gateway_config_t;

//  Create the gateway: binds the listener, connects to the router, sends
//  HELLO, and logs the ready line. Returns NULL (logged) on failure.
//  config strings must outlive the gateway.
gateway_t *
    gateway_new (const gateway_config_t *config);

//  Destroy the gateway and everything it owns, in reverse order. NULL-safe.
void
    gateway_destroy (gateway_t **self_p);

//  Run until drained or shut down. Returns 0, or -1 on a fatal error.
int
    gateway_run (gateway_t *self);

//  The gateway id (name + "-" + random hex).
const char *
    gateway_id (gateway_t *self);

#endif

/*  =========================================================================
    router.h - the zchat router: rooms, members, nicknames, sequence numbers

    One router serves every gateway. It binds three sockets: a ROUTER for
    gateway requests (ingress), a PUB for room traffic and control beats
    (publish), and a ROUTER for zchat-ctl (control). router_run is its
    loop; it returns when a drain has finished, when zsys_interrupted's
    drain is done, or when the pipe (actor mode) says $TERM.

    Tests run a router in-process: router_new on tcp://127.0.0.1:*, read
    the endpoints, then zactor_new (router_actor, router).
    =========================================================================
*/
#ifndef ROUTER_H_INCLUDED
#define ROUTER_H_INCLUDED

#include "chat.h"
#include "store.h"

typedef struct {
    const char *ingress;            //  bind endpoint for gateway requests
    const char *publish;            //  bind endpoint for room traffic
    const char *control;            //  bind endpoint for zchat-ctl
    const char *metrics_listen;     //  HOST:PORT for GET /metrics; NULL or "" = off
    const char *curve_secret;       //  the router's key pair file; NULL or "" = no CURVE
    const char *curve_allow;        //  directory of the gateways' public keys
    const char *control_allow;      //  directory of the operators' public keys
    int64_t gateway_timeout_s;      //  drop a gateway silent this long
    int64_t drain_timeout_s;        //  give up waiting for DRAINED after this
    int64_t heartbeat_ms;           //  BEAT interval
    int64_t pub_hwm;                //  PUB send high-water mark
    int64_t max_rooms;              //  rooms limit
    int64_t max_sessions;           //  sessions limit
    const char *store;              //  history store spec: "memory" or "sqlite:PATH"
    store_config_t history;         //  the store's settings (sizes, batching)
    int64_t replay;                 //  history lines sent on every join (0 = none)
    int64_t history_max;            //  most lines one history request is answered with
    bool verbose;                   //  per-message debug traces
} router_config_t;

typedef struct _router_t router_t;

//  Fill config with the defaults from chat.h.
void
    router_config_defaults (router_config_t *config);

//  Create a router, open its history store and bind its sockets; logs
//  the ready line. Returns NULL (logged, one line) if the store cannot be
//  opened or a bind fails. The config is copied.
router_t *
    router_new (const router_config_t *config);

//  Destroy the router; NULL-safe, sets *self_p to NULL.
void
    router_destroy (router_t **self_p);

//  Bound endpoints (ports resolved).
const char *
    router_ingress_endpoint (router_t *self);
const char *
    router_publish_endpoint (router_t *self);
const char *
    router_control_endpoint (router_t *self);

//  The port /metrics is served on, or 0 when --metrics-listen is off.
int
    router_metrics_port (router_t *self);

//  The history store (owned by the router; for tests and zchat-ctl).
store_t *
    router_store (router_t *self);

//  This run's epoch (random, 63 bits, never 0).
uint64_t
    router_epoch (router_t *self);

//  Run until a drain finishes or pipe (may be NULL) receives $TERM.
//  SIGINT/SIGTERM (zsys_interrupted) start a drain. Returns 0.
int
    router_run (router_t *self, zsock_t *pipe);

//  zactor body: args is a router_t * (still owned by the caller). Sends
//  "DRAIN" down the pipe to start a drain, $TERM to stop at once.
void
    router_actor (zsock_t *pipe, void *args);

#endif

/*  =========================================================================
    router_internal.h - the router's state, shared by its own files only

    router_t is one object spread over a few files: router.c (sockets,
    loop, lifecycle, zchat-ctl commands), requests.c with
    requests_gateway.c and requests_query.c (one handler per gateway verb;
    requests_private.h), history.c (history answers) and liveness.c
    (BEAT, gateway timeouts, the drain). They share the struct below and
    the few functions declared here; nothing outside router/ includes
    this header.
    =========================================================================
*/
#ifndef ROUTER_INTERNAL_H_INCLUDED
#define ROUTER_INTERNAL_H_INCLUDED

#include "router.h"
#include "wire.h"
#include "control.h"
#include "gateways.h"
#include "sessions.h"
#include "rooms.h"
#include "nicks.h"
#include "router_metrics.h"
#include "metrics_server.h"
#include "zap.h"

#define ROUTER_CHECK_MS         100     //  how often gateway timeouts are checked
#define ROUTER_METRICS_PUBLISH_MS 500   //  how often /metrics gets fresh values

struct _router_t {
    router_config_t config;         //  settings (strings borrowed from caller)
    uint64_t epoch;                 //  random id of this run
    zsock_t *ingress;               //  ROUTER: gateway requests and replies
    zsock_t *publish;               //  PUB: room traffic and control beats
    control_t *control;             //  ROUTER: zchat-ctl
    zap_t *zap;                     //  ZAP handler (CURVE on), or NULL
    char *ingress_endpoint;         //  bound endpoints, ports resolved
    char *publish_endpoint;
    gateways_t *gateways;           //  registered gateways
    sessions_t *sessions;           //  logged-in users
    nicks_t *nicks;                 //  nickname -> session id
    rooms_t *rooms;                 //  room name -> room
    store_t *store;                 //  room history: every CHAT and EMOTE published
    zhashx_t *unknown;              //  unregistered route -> last RESYNC time
    zhashx_t *lost;                 //  id of a gateway dropped as lost -> its route
    zhashx_t *refused;              //  routes whose refused HELLO was logged (set)
    bool draining;                  //  drain started: refuse new lines
    bool finished;                  //  drain over: leave the loop
    int64_t now;                    //  zclock_mono at the start of this pass
    int64_t next_beat;              //  when to publish the next BEAT
    int64_t next_check;             //  when to check gateway timeouts
    int64_t drain_deadline;         //  when to stop waiting for DRAINED
    metrics_t *metrics;             //  counted here, in the loop thread
    metrics_server_t *metrics_server;   //  serves /metrics, or NULL when off
    int64_t next_metrics;           //  when to publish the next copy
};

//  Count one event in a router metric (router_metrics.h).
#define ROUTER_COUNT(self, id)  metrics_add ((self)->metrics, (id), 1)

//  router.c: publish a message (takes it). PUB never blocks; past the HWM
//  a slow subscriber loses messages and counts the gap from sequence
//  numbers.
void
    router_publish (router_t *self, wire_msg_t **msg_p);

//  router.c: publish a message the caller keeps (it may live on the
//  stack with borrowed strings): no copies, no allocation.
void
    router_publish_borrowed (router_t *self, const wire_msg_t *msg);

//  requests.c: read and dispatch one ingress message without waiting.
//  Returns 0 when a message was consumed (a malformed one too), -1 when
//  none was waiting (EAGAIN) or the socket failed.
int
    router_handle_ingress (router_t *self);

//  requests_gateway.c: forget a gateway and all its sessions, announcing each
//  LEFT with reason unless reason is NULL. Logs event (lost, left, ...).
//  The gateway is destroyed.
void
    router_gateway_drop (router_t *self, gateway_t *gateway, const char *event,
                         const char *reason);

//  history.c: send session (gateway, client) the replay of room after its
//  JOINED with seq joined_seq: the newest --replay lines below it, then
//  HISTORY_END "join" naming joined_seq (sent even with no lines, so the
//  gateway stops holding that member's live lines).
void
    router_send_replay (router_t *self, gateway_t *gateway, uint64_t client,
                        const char *room, uint64_t joined_seq);

//  history.c: answer a HISTORY request: the newest count lines of room
//  below before (0: the newest), count capped by --history-max (0 means
//  the cap), then HISTORY_END "page".
void
    router_send_page (router_t *self, gateway_t *gateway, uint64_t client,
                      const char *room, uint64_t before, uint64_t count);

//  history.c: answer a RECOVER: the history lines of room with seq from
//  .. from + count - 1 (the oldest 1000 of them), to client 0 of gateway,
//  then HISTORY_END "recover" naming the last seq sent (0: none; the
//  gateway asks again from after it until an answer is empty).
void
    router_send_range (router_t *self, gateway_t *gateway, const char *room,
                       uint64_t from, uint64_t count);

//  liveness.c: start the drain (once; later calls do nothing). reason
//  goes to the log.
void
    router_start_drain (router_t *self, const char *reason);

//  liveness.c: run whatever timers are due at self->now; returns ms until
//  the next one. Sets self->finished when the drain is over.
int64_t
    router_run_timers (router_t *self);

#endif

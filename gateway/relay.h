/*  =========================================================================
    relay.h - the gateway's ZeroMQ side: DEALER uplink and SUB downlink

    The only gateway file that touches ZeroMQ. The DEALER (its routing id
    a secret of ours, see relay_config_t) carries requests to the router
    and its replies back; the
    SUB receives room traffic for the rooms we subscribe to and control
    traffic. Both sockets' ZMQ_FD sit in the gateway's loop, edge-
    triggered; an edge, or a send (ZeroMQ may swallow the edge during
    one), marks a socket, and the before-sleep hook reads the marked
    sockets until empty, in bounded batches.

    Sending has two flavours. relay_try_send is for client lines: at the
    high-water mark it fails with EAGAIN, the caller holds the line, and
    on_writable tells it when to offer lines again. relay_send is for the
    gateway's own requests (LOGIN, JOIN, LOGOUT, ...): at the high-water
    mark they wait in an internal queue, in order, and are sent first
    when the uplink has room. Nothing is silently dropped; a queued LOGIN
    whose client has gone is taken back by its sender (relay_retract).
    =========================================================================
*/
#ifndef RELAY_H_INCLUDED
#define RELAY_H_INCLUDED

#include "chat.h"
#include "wire.h"
#include "loop.h"

typedef struct _relay_t relay_t;

typedef struct {
    const char *ingress;        //  router's ROUTER endpoint (connect)
    const char *publish;        //  router's PUB endpoint (connect)
    const char *identity;       //  DEALER routing id: a random secret, never the
                                //  public gateway id (the router binds that to it)
    int uplink_hwm;             //  DEALER send high-water mark
    int sub_hwm;                //  SUB receive high-water mark
    int linger_ms;              //  ZMQ_LINGER on both sockets
    const char *curve_secret;   //  our CURVE key pair file; NULL or "" = plaintext
    const char *curve_server;   //  the router's public key file (with curve_secret)
    int64_t retry_ms;           //  a refused handshake is tried again after this
    bool verbose;               //  per-message traces (debug)
} relay_config_t;

typedef struct {
    //  A reply from the router (DEALER); the handler owns *msg_p.
    void (*on_reply) (void *owner, wire_msg_t **msg_p);
    //  A published message (SUB); the handler owns *msg_p.
    void (*on_publish) (void *owner, wire_msg_t **msg_p);
    //  The uplink has room again after a relay_try_send failed.
    void (*on_writable) (void *owner);
} relay_events_t;

//  Create both sockets (CURVE clients of the router when curve_secret is
//  set), connect them, subscribe to the control topic and register them
//  in loop (plus a before-sleep hook). Returns NULL (and logs why) on
//  failure, a key file that does not load included.
relay_t *
    relay_new (loop_t *loop, const relay_config_t *config,
               const relay_events_t *events, void *owner);

//  A handshake the router refuses (a key not in its allow-list, CURVE on
//  one tier only) ends that connection for good in libzmq, so the relay
//  watches its DEALER's handshakes: on a failure it logs once (until one
//  succeeds), counts it, and after retry_ms builds both sockets again
//  (same identity, same subscriptions). A key added to the router's
//  allow-list thus lets a waiting gateway in without a restart.

//  Replace the DEALER with a new one under routing id identity (a fresh
//  secret), connected to the same ingress: the gateway's recovery when
//  the router does not hear it or refuses its id. What the old socket
//  still held is dropped (it spoke for the old identity); requests
//  waiting in our own queue stay and go out on the new one. Returns 0,
//  or -1 (logged) if the new socket cannot be set up.
int
    relay_renew (relay_t *self, const char *identity);

//  Close both sockets (queued messages get linger_ms to leave). NULL-safe.
void
    relay_destroy (relay_t **self_p);

//  Send a client line's request; destroys *msg_p. Returns 0, or -1 when
//  the uplink is full (EAGAIN): nothing was sent, the caller holds the
//  line and waits for on_writable.
int
    relay_try_send (relay_t *self, wire_msg_t **msg_p);

//  Send one of the gateway's own requests; destroys *msg_p. Never fails:
//  at the high-water mark it is queued and sent first when there is room.
void
    relay_send (relay_t *self, wire_msg_t **msg_p);

//  relay_send for a request the caller may want back (a LOGIN): when it
//  has to wait in the queue, *ticket_p is set to its place there, else
//  NULL; the relay sets *ticket_p back to NULL when the request leaves
//  the queue (sent). *ticket_p must stay valid until then, or until
//  relay_retract.
void
    relay_send_tracked (relay_t *self, wire_msg_t **msg_p, void **ticket_p);

//  Take back a request relay_send_tracked queued, if it is still waiting:
//  returns true when it was dropped unsent, false when it already went
//  up (or *ticket_p is NULL). Sets *ticket_p to NULL. So a client that
//  leaves before its LOGIN went up costs neither LOGIN nor LOGOUT, and
//  connection churn while the router is away does not grow the queue.
bool
    relay_retract (relay_t *self, void **ticket_p);

//  Number of the gateway's own requests waiting in the internal queue.
size_t
    relay_queued (relay_t *self);

//  True while sends are being refused (relay_try_send failed and the
//  uplink has not drained yet).
bool
    relay_blocked (relay_t *self);

//  Start / stop receiving a room's topic on the SUB.
void
    relay_subscribe (relay_t *self, const char *room);
void
    relay_unsubscribe (relay_t *self, const char *room);

//  Receive and dispatch what is waiting on the marked sockets (bounded),
//  and retry the queued sends. Called by the loop's hook.
void
    relay_process (relay_t *self);

//  If a socket may have input waiting (marked by a send made after
//  relay_process ran), make the loop's next wait return at once. Call
//  last before the loop sleeps; it makes no system call.
void
    relay_recheck (relay_t *self);

//  Stop dispatching received messages (shutdown); sends still work.
void
    relay_mute (relay_t *self);

#endif

/*  =========================================================================
    listener.h - the gateway's listening TCP socket

    Binds HOST:PORT (port 0 picks a free port), listens with a large
    backlog, and on readiness accepts in a loop until EAGAIN, making each
    socket non-blocking (and TCP_NODELAY, and TCP keepalive when set)
    before handing it to the client set. Over the connection limit, a new connection gets one
    "! server full, try again later" line and is closed. With
    listener_new_with, accepted sockets go to a handler of the caller's
    instead (the health port, health.c).
    =========================================================================
*/
#ifndef LISTENER_H_INCLUDED
#define LISTENER_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"
#include "cidr.h"

typedef struct _listener_t listener_t;

//  Bind and listen on address ("HOST:PORT", "[::1]:PORT" or ":PORT").
//  Returns NULL (and logs why) if the address is bad or busy.
listener_t *
    listener_new (loop_t *loop, const char *address, int backlog,
                  client_set_t *clients, size_t max_clients);

//  Takes each accepted socket (non-blocking, close-on-exec); owns fd.
typedef void (listener_accept_fn) (void *arg, int fd);

//  Turn on TCP keepalive for client sockets accepted from now on: after
//  idle_s seconds without traffic the kernel probes the peer every
//  LISTENER_KEEPALIVE_INTERVAL_S seconds (idle_s if smaller), and after
//  LISTENER_KEEPALIVE_PROBES unanswered probes the connection fails, which
//  closes the client (reason error). 0 turns it off (the default).
#define LISTENER_KEEPALIVE_INTERVAL_S   10
#define LISTENER_KEEPALIVE_PROBES       6
void
    listener_set_keepalive (listener_t *self, int idle_s);

//  Client port only: every connection must come from a trusted address
//  (copied) and start with a PROXY v2 header (proxy_wait.h); the address
//  it carries is the one the per-address caps and the logs use.
//  Returns 0 or -1 (no memory).
int
    listener_set_proxy_protocol (listener_t *self, const cidr_list_t *trusted);

//  Client port only: admitted sockets (past the caps, the PROXY header,
//  socket options) go to a stage instead of straight to the client set:
//  the TLS handshake, the HTTP request of a WebSocket upgrade. The stage
//  owns fd and entry from add on, and gives them to the client set
//  (client_set_accept_transport) when ready, or closes fd and gives entry
//  back (admission_leave). Its waiting sockets count against the limit.
//  A stage whose port does not speak plain text (TLS) sets
//  silent_refusals: a connection refused before it (server full, an
//  address over its cap) is closed without the "! ..." line, which its
//  client could not read and would take for a broken handshake.
typedef struct {
    void (*add) (void *arg, int fd, admission_entry_t *entry, const struct sockaddr *peer);
    size_t (*size) (void *arg);         //  sockets waiting in the stage (may be NULL)
    bool silent_refusals;               //  refuse by closing, without a line
} listener_stage_t;
void
    listener_set_stage (listener_t *self, const listener_stage_t *stage, void *arg);

//  Client port only: sockets waiting elsewhere that share this port's
//  connection limit, counted by size (arg): another port's stage, e.g.
//  the plain port counts the TLS port's handshakes, so both ports
//  together stay within --max-clients.
void
    listener_share_limit (listener_t *self, size_t (*size) (void *arg), void *arg);

//  Same binding and accepting, but each socket goes to on_accept instead
//  of a client set (health.c's port).
listener_t *
    listener_new_with (loop_t *loop, const char *address, int backlog,
                       listener_accept_fn *on_accept, void *arg);

//  Stop accepting and close the socket. NULL-safe.
void
    listener_destroy (listener_t **self_p);

//  The port actually bound (useful with port 0).
int
    listener_port (listener_t *self);

#endif

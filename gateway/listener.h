/*  =========================================================================
    listener.h - the gateway's listening TCP socket

    Binds HOST:PORT (port 0 picks a free port), listens with a large
    backlog, and on readiness accepts in a loop until EAGAIN, making each
    socket non-blocking (and TCP_NODELAY) before handing it to the client
    set. Over the connection limit, a new connection gets one
    "! server full, try again later" line and is closed.
    =========================================================================
*/
#ifndef LISTENER_H_INCLUDED
#define LISTENER_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"

typedef struct _listener_t listener_t;

//  Bind and listen on address ("HOST:PORT", "[::1]:PORT" or ":PORT").
//  Returns NULL (and logs why) if the address is bad or busy.
listener_t *
    listener_new (loop_t *loop, const char *address, int backlog,
                  client_set_t *clients, size_t max_clients);

//  Parse address as listener_new does, bind a non-blocking, close-on-exec
//  TCP socket to it (SO_REUSEADDR) and listen. Returns the fd, with the
//  port actually bound in *port_out, or -1 (logged). Also used by
//  health.c for its own socket.
int
    listener_bind (const char *address, int backlog, int *port_out);

//  Stop accepting and close the socket. NULL-safe.
void
    listener_destroy (listener_t **self_p);

//  The port actually bound (useful with port 0).
int
    listener_port (listener_t *self);

#endif

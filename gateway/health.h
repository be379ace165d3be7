/*  =========================================================================
    health.h - the gateway's health endpoint for load balancers

    A second listening TCP socket (--health-listen), apart from the client
    port, so that a balancer's check is not a chat session. Each
    connection is accepted, gets one line, "ok clients=N\r\n" while the
    gateway is ready or "not-ready router=unreachable clients=N\r\n"
    while it is alive but cannot serve (health_set_ready), and is closed
    at once with a FIN: no session, no client, no log line. The
    socket exists only while the gateway takes clients; the gateway closes
    it when it starts to drain or shut down, so checks fail from then on.
    =========================================================================
*/
#ifndef HEALTH_H_INCLUDED
#define HEALTH_H_INCLUDED

#include "chat.h"
#include "loop.h"

typedef struct _health_t health_t;

//  How many clients the gateway has now (for the answer line).
typedef size_t (health_count_fn) (void *arg);

//  Bind and listen on address ("HOST:PORT", "[::1]:PORT" or ":PORT"; port
//  0 picks a free one) and answer in loop. Returns NULL (and logs why) if
//  the address is bad or busy.
health_t *
    health_new (loop_t *loop, const char *address, health_count_fn *count, void *arg);

//  Answer "ok" (ready, the default) or "not-ready" from now on.
void
    health_set_ready (health_t *self, bool ready);

//  Stop answering and close the socket. NULL-safe.
void
    health_destroy (health_t **self_p);

//  The port actually bound (useful with port 0).
int
    health_port (health_t *self);

#endif

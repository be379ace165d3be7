/*  =========================================================================
    proxy_wait.h - accepted sockets waiting for their PROXY v2 header

    With --proxy-protocol the client port takes connections only from
    --trusted-proxy addresses, and each must start with a PROXY v2 header
    (proxy.h). Until it has, the socket is here, not a client: read for
    exactly the header's bytes (what follows stays for the client's input
    path), for at most PROXY_WAIT_MS. Then the header's source address
    goes to on_ready, or the connection gets one refusal line and is
    closed: untrusted sender, malformed header, a plain client, or no
    header in time. Nothing here blocks the loop; memory is one proxy_t
    per waiting socket, and the listener counts them against
    --max-clients.
    =========================================================================
*/
#ifndef PROXY_WAIT_H_INCLUDED
#define PROXY_WAIT_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "cidr.h"

#define PROXY_WAIT_MS       5000    //  a header not complete by then is refused

typedef struct _proxy_wait_t proxy_wait_t;

//  A socket's header is complete: address is the client's real one (or
//  the balancer's own, for a LOCAL header). The callee owns fd.
typedef void (proxy_ready_fn) (void *arg, int fd, const struct sockaddr *address);

//  trusted is copied.
proxy_wait_t *
    proxy_wait_new (loop_t *loop, const cidr_list_t *trusted, proxy_ready_fn *on_ready,
                    void *arg);

//  Close every waiting socket and free. NULL-safe.
void
    proxy_wait_destroy (proxy_wait_t **self_p);

//  Take an accepted socket: refused at once if its peer is not trusted.
void
    proxy_wait_add (proxy_wait_t *self, int fd);

//  Sockets waiting now.
size_t
    proxy_wait_size (proxy_wait_t *self);

//  Refusals so far.
uint64_t
    proxy_wait_refused (proxy_wait_t *self);

#endif

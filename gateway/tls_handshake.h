/*  =========================================================================
    tls_handshake.h - TLS port: accepted sockets waiting for their handshake

    The TLS listener's stage (listener_set_stage): an admitted socket
    gets an SSL object from the current context (tls.h) and waits here,
    in the gateway's epoll loop, while SSL_do_handshake says it wants to
    read or write. Once the handshake is done the socket becomes a client
    on transport_tls (client_set_accept_transport); a client that stalls
    past the handshake timeout, closes, or sends something that is not
    TLS (plaintext, random bytes, an old protocol version) is closed and
    counted (metrics by reason, one log line per reason per 10 s).
    Waiting sockets count against --max-clients.
    =========================================================================
*/
#ifndef TLS_HANDSHAKE_H_INCLUDED
#define TLS_HANDSHAKE_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"
#include "listener.h"
#include "tls.h"

typedef struct _tls_handshake_t tls_handshake_t;

//  tls and clients are borrowed and must outlive the stage; timeout_ms
//  bounds each handshake (> 0).
tls_handshake_t *
    tls_handshake_new (loop_t *loop, tls_t *tls, client_set_t *clients, int64_t timeout_ms);

//  Close every socket still in its handshake and free. NULL-safe.
void
    tls_handshake_destroy (tls_handshake_t **self_p);

//  Make self the stage of listener: its admitted sockets start a handshake.
void
    tls_handshake_attach (tls_handshake_t *self, listener_t *listener);

//  Where a finished handshake goes instead of the client set: fn takes
//  fd, entry and transport_tls with its state (the HTTP stage of the
//  --https-listen port, which reads the request through it).
typedef void (tls_handshake_done_fn) (void *arg, int fd, admission_entry_t *entry,
                                      const struct sockaddr *peer,
                                      const transport_ops_t *transport, void *state);
void
    tls_handshake_set_done (tls_handshake_t *self, tls_handshake_done_fn *done, void *arg);

//  Sockets in their handshake now.
size_t
    tls_handshake_size (tls_handshake_t *self);

//  The same as a listener's shared-limit counter (listener_share_limit):
//  arg is the tls_handshake_t.
size_t
    tls_handshake_waiting (void *arg);

#endif

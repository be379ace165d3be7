/*  =========================================================================
    transport_tls.c - TLS under a client: OpenSSL records on the socket

    Implements transport_tls.h. Every call clears the thread's OpenSSL
    error queue first (SSL_get_error reads it) and maps OpenSSL's results
    onto read(2) and send(2): WANT_READ and WANT_WRITE are EAGAIN, never
    errors; a close_notify or a bare FIN is an EOF (the context sets
    SSL_OP_IGNORE_UNEXPECTED_EOF); anything else marks the connection
    failed, after which OpenSSL must not be asked for a close_notify.

    Two things TCP never does, both handled through the seam:
    - OpenSSL reads a whole record from the socket and hands out as much
      as the caller asked for; the rest is inside the SSL object, where
      epoll cannot see it. pending reports it, and client.c reads it at
      the end of the pass (libevent #854).
    - A read may need to write (a key update's answer) and a write may
      need to read. The direction OpenSSL waits for is remembered, and
      interest/events translate: the client asks for readability, the
      loop watches writability, and writability is delivered as
      "readable" so the read is retried.
    =========================================================================
*/
#include "transport_tls.h"
#include "loop.h"
#include <openssl/err.h>

typedef struct {
    SSL *ssl;                   //  the connection, handshake done
    bool read_wants_write;      //  the last SSL_read waits for writability
    bool write_wants_read;      //  the last SSL_write waits for readability
    bool failed;                //  a fatal error: no close_notify, FIN only
} tls_state_t;

void *
transport_tls_new (SSL *ssl)
{
    assert (ssl);
    tls_state_t *self = (tls_state_t *) zmalloc (sizeof (tls_state_t));
    if (!self) {
        SSL_free (ssl);
        return NULL;
    }
    self->ssl = ssl;
    return self;
}

//  A failed SSL call's result as errno (-1 returned by the caller).
static void
s_failed (tls_state_t *self, int error)
{
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return;
    }
    self->failed = true;
    if (error != SSL_ERROR_SYSCALL || errno == 0)
        errno = error == SSL_ERROR_SSL? EPROTO: ECONNRESET;
    ERR_clear_error ();
}

static ssize_t
s_read (void *state, int fd, void *buffer, size_t size)
{
    (void) fd;
    tls_state_t *self = (tls_state_t *) state;
    self->read_wants_write = false;
    if (self->failed) {
        errno = EPROTO;
        return -1;
    }
    ERR_clear_error ();
    int rc = SSL_read (self->ssl, buffer, (int) MIN (size, (size_t) INT_MAX));
    if (rc > 0)
        return rc;
    int error = SSL_get_error (self->ssl, rc);
    if (error == SSL_ERROR_ZERO_RETURN)
        return 0;
    self->read_wants_write = error == SSL_ERROR_WANT_WRITE;
    s_failed (self, error);
    return -1;
}

static ssize_t
s_write (void *state, int fd, const void *data, size_t size)
{
    (void) fd;
    tls_state_t *self = (tls_state_t *) state;
    self->write_wants_read = false;
    if (self->failed) {
        errno = EPIPE;
        return -1;
    }
    if (size == 0)
        return 0;
    ERR_clear_error ();
    int rc = SSL_write (self->ssl, data, (int) MIN (size, (size_t) INT_MAX));
    if (rc > 0)
        return rc;
    int error = SSL_get_error (self->ssl, rc);
    self->write_wants_read = error == SSL_ERROR_WANT_READ;
    s_failed (self, error);
    return -1;
}

//  close_notify, then FIN; we do not wait for the peer's close_notify
//  (the client lingers for its FIN as on the plain port).
static int
s_shutdown (void *state, int fd, int reason)
{
    (void) reason;
    tls_state_t *self = (tls_state_t *) state;
    if (!self->failed) {
        ERR_clear_error ();
        int rc = SSL_shutdown (self->ssl);
        if (rc < 0) {
            int error = SSL_get_error (self->ssl, rc);
            if (error == SSL_ERROR_WANT_WRITE) {
                errno = EAGAIN;
                return -1;
            }
            s_failed (self, error);
        }
    }
    return shutdown (fd, SHUT_WR);
}

static size_t
s_pending (void *state)
{
    tls_state_t *self = (tls_state_t *) state;
    int pending = self->failed? 0: SSL_pending (self->ssl);
    return pending > 0? (size_t) pending: 0;
}

static int
s_interest (void *state, int interest)
{
    tls_state_t *self = (tls_state_t *) state;
    if (self->read_wants_write && (interest & LOOP_READABLE))
        interest |= LOOP_WRITABLE;
    if (self->write_wants_read && (interest & LOOP_WRITABLE))
        interest |= LOOP_READABLE;
    return interest;
}

static int
s_events (void *state, int events)
{
    tls_state_t *self = (tls_state_t *) state;
    int seen = events;
    if (self->read_wants_write && (events & LOOP_WRITABLE))
        seen |= LOOP_READABLE;
    if (self->write_wants_read && (events & LOOP_READABLE))
        seen |= LOOP_WRITABLE;
    return seen;
}

static void
s_destroy (void *state)
{
    tls_state_t *self = (tls_state_t *) state;
    if (!self)
        return;
    SSL_free (self->ssl);
    free (self);
}

//  Telnet commands are still filtered: telnet-ssl and a telnet behind
//  stunnel negotiate options, and the byte that starts a command (0xFF)
//  never occurs in UTF-8, so no chat text is lost. Nothing is offered:
//  the usual TLS clients (openssl s_client, socat, ncat --ssl) are raw
//  byte streams that would show the offer as garbage.
const transport_ops_t transport_tls = {
    .name = "tls",
    .flags = TRANSPORT_TELNET,
    .read = s_read,
    .write = s_write,
    .shutdown = s_shutdown,
    .pending = s_pending,
    .interest = s_interest,
    .events = s_events,
    .destroy = s_destroy,
};

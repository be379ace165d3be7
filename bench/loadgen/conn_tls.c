/*  =========================================================================
    conn_tls.c - the load generator's connections over TLS (--tls)

    With --tls every connection does a TLS handshake (OpenSSL, no
    certificate check: the load generator measures the server, it does
    not trust it) before its login, and its bytes go through SSL_read and
    SSL_write. conn_recv and conn_send are the one place that decides
    TLS or plain, so run_io.c and conn.c call them and stay the same for
    both. A read returns at most one TLS record (16 KB), always taken
    whole (the read buffer is bigger), so nothing waits inside OpenSSL
    where epoll cannot see it.
    =========================================================================
*/
#include "loadgen.h"
#include <openssl/ssl.h>
#include <openssl/err.h>

void *
conn_tls_context_new (void)
{
    SSL_CTX *context = SSL_CTX_new (TLS_client_method ());
    if (!context)
        return NULL;
    SSL_CTX_set_verify (context, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode (context, SSL_MODE_ENABLE_PARTIAL_WRITE
                             | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                             | SSL_MODE_RELEASE_BUFFERS);
    return context;
}

void
conn_tls_context_free (void *context)
{
    SSL_CTX_free ((SSL_CTX *) context);
}

int
conn_tls_start (conn_t *self, void *context)
{
    assert (self);
    SSL *ssl = SSL_new ((SSL_CTX *) context);
    if (!ssl || SSL_set_fd (ssl, self->fd) != 1) {
        SSL_free (ssl);
        ERR_clear_error ();
        return -1;
    }
    SSL_set_connect_state (ssl);
    self->tls = ssl;
    self->handshaking = true;
    return 0;
}

int
conn_tls_handshake (conn_t *self)
{
    assert (self && self->tls);
    ERR_clear_error ();
    int rc = SSL_do_handshake ((SSL *) self->tls);
    if (rc == 1) {
        self->handshaking = false;
        return CONN_TLS_DONE;
    }
    int error = SSL_get_error ((SSL *) self->tls, rc);
    ERR_clear_error ();
    if (error == SSL_ERROR_WANT_READ)
        return CONN_TLS_WANT_READ;
    if (error == SSL_ERROR_WANT_WRITE)
        return CONN_TLS_WANT_WRITE;
    return -1;
}

//  A failed SSL call as errno: EAGAIN while it waits, else EPROTO.
static ssize_t
s_failed (conn_t *self, int rc)
{
    int error = SSL_get_error ((SSL *) self->tls, rc);
    ERR_clear_error ();
    if (error == SSL_ERROR_ZERO_RETURN)
        return 0;
    errno = error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE? EAGAIN
          : error == SSL_ERROR_SYSCALL && errno? errno: EPROTO;
    return -1;
}

ssize_t
conn_recv (conn_t *self, void *buffer, size_t size)
{
    if (!self->tls)
        return recv (self->fd, buffer, size, 0);
    ERR_clear_error ();
    int rc = SSL_read ((SSL *) self->tls, buffer, (int) MIN (size, (size_t) INT_MAX));
    return rc > 0? rc: s_failed (self, rc);
}

ssize_t
conn_send (conn_t *self, const void *data, size_t size)
{
    if (!self->tls)
        return send (self->fd, data, size, MSG_NOSIGNAL);
    ERR_clear_error ();
    int rc = SSL_write ((SSL *) self->tls, data, (int) MIN (size, (size_t) INT_MAX));
    if (rc > 0)
        return rc;
    ssize_t failed = s_failed (self, rc);
    if (failed == 0)
        errno = EPIPE;
    return -1;
}

void
conn_tls_close (conn_t *self)
{
    SSL_free ((SSL *) self->tls);
    self->tls = NULL;
    self->handshaking = false;
}

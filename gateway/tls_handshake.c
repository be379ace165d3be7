/*  =========================================================================
    tls_handshake.c - TLS port: accepted sockets waiting for their handshake

    Implements tls_handshake.h. Each waiting socket is a small record on
    a list in arrival order; since every handshake gets the same timeout,
    that is also deadline order, and one repeating tick closes the
    expired ones from the head (no timer per socket). SSL_do_handshake
    runs whenever the socket is ready the way OpenSSL last asked for:
    WANT_READ and WANT_WRITE only change the interest. A finished
    handshake hands the socket and its SSL object to the client set; its
    record is freed.

    A failure reads away what the peer sent (so the close is a FIN, not
    a reset; OpenSSL has already written its alert, if any) and closes.
    Nothing is written in plain text: the peer meant to speak TLS.
    =========================================================================
*/
#include "tls_handshake.h"
#include "transport_tls.h"
#include "admission.h"
#include "gateway_metrics.h"
#include <openssl/err.h>

#define TLS_HANDSHAKE_TICK_MAX_MS   250     //  deadline checks at least this often
#define TLS_HANDSHAKE_TICK_MIN_MS   10
#define TLS_HANDSHAKE_TICK_SHARE    4       //  ... and 4 times per timeout
#define TLS_HANDSHAKE_LOG_MS        10000   //  one log line per reason this often
#define TLS_HANDSHAKE_DRAIN_READS   4
#define TLS_HANDSHAKE_DRAIN_SIZE    4096
#define TLS_HANDSHAKE_DETAIL_MAX    128     //  bytes of OpenSSL's reason in the log

//  Why a handshake failed, in the order of the metric rows.
typedef enum {
    TLS_HANDSHAKE_TIMEOUT,      //  not done within the timeout
    TLS_HANDSHAKE_EOF,          //  the peer closed or reset first
    TLS_HANDSHAKE_VERSION,      //  the peer offered only protocols we refuse
    TLS_HANDSHAKE_PROTOCOL,     //  not TLS (plaintext, garbage) or no common cipher
    TLS_HANDSHAKE_ERROR,        //  our side: no memory, a system error
    TLS_HANDSHAKE_REASONS
} tls_handshake_reason_t;

_Static_assert (GATEWAY_METRIC_TLS_FAILED_ERROR - GATEWAY_METRIC_TLS_FAILED_TIMEOUT
                == TLS_HANDSHAKE_ERROR - TLS_HANDSHAKE_TIMEOUT,
                "failure rows follow tls_handshake_reason_t");

static const char *s_reason_keys [TLS_HANDSHAKE_REASONS] = {
    "timeout", "eof", "version", "protocol", "error"
};

typedef struct _waiting_t waiting_t;
struct _waiting_t {
    tls_handshake_t *owner;
    int fd;
    SSL *ssl;
    admission_entry_t *entry;       //  its address's count, or NULL
    struct sockaddr_storage peer;   //  from the PROXY header (AF_UNSPEC: the socket's)
    int64_t deadline;               //  loop ms when it is given up
    waiting_t *prev;
    waiting_t *next;
};

struct _tls_handshake_t {
    loop_t *loop;
    tls_t *tls;                     //  the current context
    client_set_t *clients;          //  where finished handshakes go
    tls_handshake_done_fn *done;    //  ... or here, when set
    void *done_arg;
    int64_t timeout_ms;
    int tick_timer;
    waiting_t *head;                //  oldest first (= deadline order)
    waiting_t *tail;
    size_t size;
    int64_t logged_at [TLS_HANDSHAKE_REASONS];
    uint64_t unlogged [TLS_HANDSHAKE_REASONS];
};

static void
s_unlink (waiting_t *waiting)
{
    tls_handshake_t *self = waiting->owner;
    if (waiting->prev)
        waiting->prev->next = waiting->next;
    else
        self->head = waiting->next;
    if (waiting->next)
        waiting->next->prev = waiting->prev;
    else
        self->tail = waiting->prev;
    self->size--;
    loop_remove (self->loop, waiting->fd);
}

//  Close and free a waiting socket whose handshake is over for nothing.
static void
s_drop (waiting_t *waiting)
{
    tls_handshake_t *self = waiting->owner;
    s_unlink (waiting);
    SSL_free (waiting->ssl);
    char drain [TLS_HANDSHAKE_DRAIN_SIZE];
    for (int round = 0; round < TLS_HANDSHAKE_DRAIN_READS; round++)
        if (read (waiting->fd, drain, sizeof (drain)) <= 0)
            break;
    close (waiting->fd);
    admission_t *admission = client_set_admission (self->clients);
    if (admission)
        admission_leave (admission, waiting->entry);
    free (waiting);
}

//  Count and (once per reason per TLS_HANDSHAKE_LOG_MS) log a failure;
//  detail is OpenSSL's reason, or "".
static void
s_fail (waiting_t *waiting, tls_handshake_reason_t reason, const char *detail)
{
    tls_handshake_t *self = waiting->owner;
    GATEWAY_COUNT (GATEWAY_METRIC_TLS_FAILED_TIMEOUT + reason);
    self->unlogged [reason]++;
    int64_t now = loop_now (self->loop);
    if (self->logged_at [reason] == 0 || now - self->logged_at [reason] >= TLS_HANDSHAKE_LOG_MS) {
        zsys_info ("tls: handshake failed reason=%s%s%s count=%" PRIu64, s_reason_keys [reason],
                   *detail? " error=": "", detail, self->unlogged [reason]);
        self->logged_at [reason] = now;
        self->unlogged [reason] = 0;
    }
    s_drop (waiting);
}

//  The handshake is done: the socket becomes a client on transport_tls.
static void
s_done (waiting_t *waiting)
{
    tls_handshake_t *self = waiting->owner;
    GATEWAY_COUNT (GATEWAY_METRIC_TLS_HANDSHAKES);
    s_unlink (waiting);
    void *state = transport_tls_new (waiting->ssl);
    const struct sockaddr *peer = waiting->peer.ss_family == AF_UNSPEC?
                                  NULL: (const struct sockaddr *) &waiting->peer;
    if (state && self->done)
        self->done (self->done_arg, waiting->fd, waiting->entry, peer, &transport_tls, state);
    else
    if (state)
        client_set_accept_transport (self->clients, waiting->fd, waiting->entry, peer,
                                     &transport_tls, state);
    else {
        close (waiting->fd);
        admission_t *admission = client_set_admission (self->clients);
        if (admission)
            admission_leave (admission, waiting->entry);
    }
    free (waiting);
}

//  OpenSSL's verdict on a failed handshake, as one of our reasons.
static tls_handshake_reason_t
s_classify (int error, char *detail, size_t size)
{
    *detail = 0;
    if (error == SSL_ERROR_ZERO_RETURN)
        return TLS_HANDSHAKE_EOF;
    if (error == SSL_ERROR_SYSCALL) {
        int code = errno;
        ERR_clear_error ();
        if (code == 0 || code == ECONNRESET || code == EPIPE)
            return TLS_HANDSHAKE_EOF;
        snprintf (detail, size, "%s", strerror (code));
        return TLS_HANDSHAKE_ERROR;
    }
    if (error != SSL_ERROR_SSL) {
        ERR_clear_error ();
        return TLS_HANDSHAKE_ERROR;
    }
    unsigned long code = ERR_peek_last_error ();
    snprintf (detail, size, "%s", ERR_reason_error_string (code)?
              ERR_reason_error_string (code): "unknown");
    ERR_clear_error ();
    switch (ERR_GET_REASON (code)) {
        case SSL_R_UNEXPECTED_EOF_WHILE_READING:
            return TLS_HANDSHAKE_EOF;
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_NO_PROTOCOLS_AVAILABLE:
        case SSL_R_VERSION_TOO_LOW:
        case SSL_R_WRONG_SSL_VERSION:
            return TLS_HANDSHAKE_VERSION;
        case ERR_R_MALLOC_FAILURE:
            return TLS_HANDSHAKE_ERROR;
        default:
            return TLS_HANDSHAKE_PROTOCOL;
    }
}

//  Take the handshake as far as the socket lets it.
static void
s_step (waiting_t *waiting)
{
    tls_handshake_t *self = waiting->owner;
    ERR_clear_error ();
    int rc = SSL_do_handshake (waiting->ssl);
    if (rc == 1) {
        s_done (waiting);
        return;
    }
    int error = SSL_get_error (waiting->ssl, rc);
    if (error == SSL_ERROR_WANT_READ)
        loop_set_interest (self->loop, waiting->fd, LOOP_READABLE);
    else
    if (error == SSL_ERROR_WANT_WRITE)
        loop_set_interest (self->loop, waiting->fd, LOOP_WRITABLE);
    else {
        char detail [TLS_HANDSHAKE_DETAIL_MAX];
        tls_handshake_reason_t reason = s_classify (error, detail, sizeof (detail));
        s_fail (waiting, reason, detail);
    }
}

static void
s_on_io (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    (void) events;
    s_step ((waiting_t *) arg);
}

static int
s_tick (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    tls_handshake_t *self = (tls_handshake_t *) arg;
    int64_t now = loop_now (loop);
    while (self->head && now >= self->head->deadline)
        s_fail (self->head, TLS_HANDSHAKE_TIMEOUT, "");
    return 0;
}

//  The listener's stage: a socket admitted to the TLS port.
static void
s_add (void *arg, int fd, admission_entry_t *entry, const struct sockaddr *peer)
{
    tls_handshake_t *self = (tls_handshake_t *) arg;
    waiting_t *waiting = (waiting_t *) zmalloc (sizeof (waiting_t));
    SSL *ssl = waiting? SSL_new (tls_context (self->tls)): NULL;
    if (!ssl || SSL_set_fd (ssl, fd) != 1
    ||  loop_add (self->loop, fd, LOOP_READABLE, s_on_io, waiting)) {
        ERR_clear_error ();
        GATEWAY_COUNT (GATEWAY_METRIC_TLS_FAILED_ERROR);
        SSL_free (ssl);
        free (waiting);
        close (fd);
        admission_t *admission = client_set_admission (self->clients);
        if (admission)
            admission_leave (admission, entry);
        return;
    }
    SSL_set_accept_state (ssl);
    waiting->owner = self;
    waiting->fd = fd;
    waiting->ssl = ssl;
    waiting->entry = entry;
    if (peer && peer->sa_family == AF_INET)
        memcpy (&waiting->peer, peer, sizeof (struct sockaddr_in));
    else
    if (peer && peer->sa_family == AF_INET6)
        memcpy (&waiting->peer, peer, sizeof (struct sockaddr_in6));
    waiting->deadline = loop_now (self->loop) + self->timeout_ms;
    waiting->prev = self->tail;
    if (self->tail)
        self->tail->next = waiting;
    else
        self->head = waiting;
    self->tail = waiting;
    self->size++;
}

size_t
tls_handshake_waiting (void *arg)
{
    return ((tls_handshake_t *) arg)->size;
}

tls_handshake_t *
tls_handshake_new (loop_t *loop, tls_t *tls, client_set_t *clients, int64_t timeout_ms)
{
    assert (loop);
    assert (tls);
    assert (clients);
    assert (timeout_ms > 0);
    tls_handshake_t *self = (tls_handshake_t *) zmalloc (sizeof (tls_handshake_t));
    if (!self)
        return NULL;
    self->loop = loop;
    self->tls = tls;
    self->clients = clients;
    self->timeout_ms = timeout_ms;
    int64_t tick_ms = MIN (timeout_ms / TLS_HANDSHAKE_TICK_SHARE, TLS_HANDSHAKE_TICK_MAX_MS);
    self->tick_timer = loop_timer_add (loop, MAX (tick_ms, TLS_HANDSHAKE_TICK_MIN_MS), true,
                                       s_tick, self);
    return self;
}

void
tls_handshake_destroy (tls_handshake_t **self_p)
{
    assert (self_p);
    tls_handshake_t *self = *self_p;
    if (!self)
        return;
    while (self->head)
        s_drop (self->head);
    loop_timer_cancel (self->loop, self->tick_timer);
    free (self);
    *self_p = NULL;
}

void
tls_handshake_attach (tls_handshake_t *self, listener_t *listener)
{
    assert (self);
    static const listener_stage_t stage = {
        .add = s_add,
        .size = tls_handshake_waiting,
        .silent_refusals = true
    };
    listener_set_stage (listener, &stage, self);
}

void
tls_handshake_set_done (tls_handshake_t *self, tls_handshake_done_fn *done, void *arg)
{
    assert (self);
    self->done = done;
    self->done_arg = arg;
}

size_t
tls_handshake_size (tls_handshake_t *self)
{
    assert (self);
    return self->size;
}

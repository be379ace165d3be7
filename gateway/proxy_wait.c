/*  =========================================================================
    proxy_wait.c - accepted sockets waiting for their PROXY v2 header

    Implements proxy_wait.h. Each waiting socket is a small record on a
    doubly linked list with its own one-shot deadline timer; the loop
    reads it for proxy_wanted bytes at a time. A refusal reads away what
    the peer sent (so close sends FIN after the line, not RST), writes
    one line and closes. Refusals are logged once per reason per 10 s,
    with the count, never once per connection.
    =========================================================================
*/
#include "proxy_wait.h"
#include "proxy.h"
#include "gateway_metrics.h"
#include <arpa/inet.h>

#define PROXY_WAIT_DRAIN_READS  4
#define PROXY_WAIT_DRAIN_SIZE   4096
#define PROXY_WAIT_LOG_MS       10000
#define PROXY_WAIT_ADDRESS_MAX  (INET6_ADDRSTRLEN + 8)

#define PROXY_WAIT_UNTRUSTED    "! this port takes connections through the load balancer only\r\n"
#define PROXY_WAIT_MALFORMED    "! bad PROXY protocol header\r\n"
#define PROXY_WAIT_TIMEOUT      "! no PROXY protocol header in time\r\n"

typedef struct _waiting_t waiting_t;
struct _waiting_t {
    proxy_wait_t *owner;
    int fd;
    int timer;
    proxy_t proxy;
    waiting_t *prev;
    waiting_t *next;
};

typedef enum {
    PROXY_WAIT_REASON_UNTRUSTED,
    PROXY_WAIT_REASON_MALFORMED,
    PROXY_WAIT_REASON_TIMEOUT,
    PROXY_WAIT_REASONS
} proxy_wait_reason_t;

static const char *s_reason_keys [PROXY_WAIT_REASONS] = { "untrusted", "malformed", "timeout" };
static const char *s_reason_lines [PROXY_WAIT_REASONS] = {
    PROXY_WAIT_UNTRUSTED, PROXY_WAIT_MALFORMED, PROXY_WAIT_TIMEOUT
};

struct _proxy_wait_t {
    loop_t *loop;
    cidr_list_t trusted;
    proxy_ready_fn *on_ready;
    void *arg;
    waiting_t *head;
    size_t size;
    uint64_t refused;
    int64_t logged_at [PROXY_WAIT_REASONS];
    uint64_t unlogged [PROXY_WAIT_REASONS];
};

proxy_wait_t *
proxy_wait_new (loop_t *loop, const cidr_list_t *trusted, proxy_ready_fn *on_ready, void *arg)
{
    assert (loop);
    assert (trusted);
    assert (on_ready);
    proxy_wait_t *self = (proxy_wait_t *) zmalloc (sizeof (proxy_wait_t));
    if (!self)
        return NULL;
    self->loop = loop;
    self->trusted = *trusted;
    self->on_ready = on_ready;
    self->arg = arg;
    return self;
}

//  The peer's address as text, for the log.
static void
s_peer_text (int fd, char *text)
{
    struct sockaddr_storage peer;
    socklen_t size = sizeof (peer);
    strcpy (text, "unknown");
    if (getpeername (fd, (struct sockaddr *) &peer, &size) == -1)
        return;
    if (peer.ss_family == AF_INET)
        inet_ntop (AF_INET, &((struct sockaddr_in *) &peer)->sin_addr, text,
                   PROXY_WAIT_ADDRESS_MAX);
    else
    if (peer.ss_family == AF_INET6)
        inet_ntop (AF_INET6, &((struct sockaddr_in6 *) &peer)->sin6_addr, text,
                   PROXY_WAIT_ADDRESS_MAX);
}

//  One line, then close: read away what it sent first, so the close
//  is a FIN after the line and not a reset that may destroy it.
static void
s_refuse_fd (proxy_wait_t *self, int fd, proxy_wait_reason_t reason, const char *detail)
{
    self->refused++;
    GATEWAY_COUNT (GATEWAY_METRIC_REFUSED_PROXY);
    self->unlogged [reason]++;
    int64_t now = loop_now (self->loop);
    if (self->logged_at [reason] == 0 || now - self->logged_at [reason] >= PROXY_WAIT_LOG_MS) {
        char peer [PROXY_WAIT_ADDRESS_MAX];
        s_peer_text (fd, peer);
        zsys_warning ("proxy: refused addr=%s reason=%s%s%s refused=%" PRIu64, peer,
                      s_reason_keys [reason], *detail? " error=": "", detail,
                      self->unlogged [reason]);
        self->logged_at [reason] = now;
        self->unlogged [reason] = 0;
    }
    char drain [PROXY_WAIT_DRAIN_SIZE];
    for (int round = 0; round < PROXY_WAIT_DRAIN_READS; round++)
        if (read (fd, drain, sizeof (drain)) <= 0)
            break;
    const char *line = s_reason_lines [reason];
    ssize_t rc = send (fd, line, strlen (line), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void) rc;
    shutdown (fd, SHUT_WR);
    close (fd);
}

static void
s_unlink (waiting_t *waiting)
{
    proxy_wait_t *self = waiting->owner;
    if (waiting->prev)
        waiting->prev->next = waiting->next;
    else
        self->head = waiting->next;
    if (waiting->next)
        waiting->next->prev = waiting->prev;
    self->size--;
    loop_remove (self->loop, waiting->fd);
    if (waiting->timer > 0)
        loop_timer_cancel (self->loop, waiting->timer);
}

static void
s_refuse (waiting_t *waiting, proxy_wait_reason_t reason, const char *detail)
{
    proxy_wait_t *self = waiting->owner;
    s_unlink (waiting);
    s_refuse_fd (self, waiting->fd, reason, detail);
    free (waiting);
}

static int
s_on_deadline (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    waiting_t *waiting = (waiting_t *) arg;
    waiting->timer = 0;
    s_refuse (waiting, PROXY_WAIT_REASON_TIMEOUT, "");
    return -1;
}

static void
s_on_readable (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) events;
    waiting_t *waiting = (waiting_t *) arg;
    uint8_t buffer [PROXY_HEADER_MAX];
    size_t wanted = proxy_wanted (&waiting->proxy);
    ssize_t size = read (fd, buffer, MIN (wanted, sizeof (buffer)));
    if (size == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (size <= 0) {
        proxy_wait_t *self = waiting->owner;
        s_unlink (waiting);
        close (fd);                 //  gone before its header: nobody to tell
        free (waiting);
        (void) self;
        return;
    }
    proxy_result_t result = proxy_feed (&waiting->proxy, buffer, (size_t) size, NULL);
    if (result == PROXY_ERROR) {
        s_refuse (waiting, PROXY_WAIT_REASON_MALFORMED, proxy_error (&waiting->proxy));
        return;
    }
    if (result == PROXY_DONE) {
        proxy_wait_t *self = waiting->owner;
        s_unlink (waiting);
        struct sockaddr_storage address;
        memcpy (&address, proxy_address (&waiting->proxy), sizeof (address));
        if (address.ss_family == AF_UNSPEC) {
            //  LOCAL: the balancer speaking for itself
            socklen_t length = sizeof (address);
            if (getpeername (fd, (struct sockaddr *) &address, &length) == -1)
                address.ss_family = AF_UNSPEC;
        }
        free (waiting);
        self->on_ready (self->arg, fd, (struct sockaddr *) &address);
    }
}

void
proxy_wait_add (proxy_wait_t *self, int fd)
{
    assert (self);
    struct sockaddr_storage peer;
    socklen_t size = sizeof (peer);
    if (getpeername (fd, (struct sockaddr *) &peer, &size) == -1
    ||  !cidr_match (&self->trusted, (struct sockaddr *) &peer)) {
        s_refuse_fd (self, fd, PROXY_WAIT_REASON_UNTRUSTED, "");
        return;
    }
    waiting_t *waiting = (waiting_t *) zmalloc (sizeof (waiting_t));
    if (!waiting || loop_add (self->loop, fd, LOOP_READABLE, s_on_readable, waiting)) {
        free (waiting);
        close (fd);
        return;
    }
    waiting->owner = self;
    waiting->fd = fd;
    proxy_init (&waiting->proxy);
    waiting->next = self->head;
    if (self->head)
        self->head->prev = waiting;
    self->head = waiting;
    self->size++;
    waiting->timer = loop_timer_add (self->loop, PROXY_WAIT_MS, false, s_on_deadline, waiting);
    if (waiting->timer <= 0) {
        waiting->timer = 0;
        s_refuse (waiting, PROXY_WAIT_REASON_TIMEOUT, "no timer");
    }
}

void
proxy_wait_destroy (proxy_wait_t **self_p)
{
    assert (self_p);
    proxy_wait_t *self = *self_p;
    if (!self)
        return;
    while (self->head) {
        waiting_t *waiting = self->head;
        s_unlink (waiting);
        close (waiting->fd);
        free (waiting);
    }
    free (self);
    *self_p = NULL;
}

size_t
proxy_wait_size (proxy_wait_t *self)
{
    assert (self);
    return self->size;
}

uint64_t
proxy_wait_refused (proxy_wait_t *self)
{
    assert (self);
    return self->refused;
}

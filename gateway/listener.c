/*  =========================================================================
    listener.c - the gateway's listening TCP socket

    Implements listener.h. Binds through address_listen (common/address.c:
    HOST:PORT, [v6]:PORT, :PORT), and on readiness accepts (accept4: non-blocking,
    close-on-exec) until EAGAIN or a batch limit, so a connection storm
    cannot starve the clients already connected. Each socket goes to the
    owner's handler: for the client port (listener_new) that gives it
    TCP_NODELAY (output is already coalesced to one send per pass) and
    TCP keepalive (a peer that vanished without a FIN or RST, a laptop
    closed or a NAT entry dropped, is found even while it is quiet) and
    hands it to the client set; health.c has a handler of its own. When
    the process is out of file descriptors, the listener logs once and
    stops accepting for a moment instead of spinning on a readable socket
    it cannot accept from.
    =========================================================================
*/
#include "listener.h"
#include "gateway_metrics.h"
#include "address.h"
#include "admission.h"
#include "proxy_wait.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#define LISTENER_ACCEPT_BATCH   1000    //  accepts per readiness, at most
#define LISTENER_PAUSE_MS       100     //  pause when out of descriptors
#define LISTENER_FULL_NOTICE    "! server full, try again later\r\n"
#define LISTENER_ADDRESS_NOTICE "! too many connections from your address\r\n"

struct _listener_t {
    loop_t *loop;               //  our event loop
    listener_accept_fn *on_accept;  //  takes each accepted socket
    void *arg;                  //  its argument
    client_set_t *clients;      //  client port: where sockets go, else NULL
    size_t max_clients;         //  client port: connection limit
    int keepalive_s;            //  client port: TCP_KEEPIDLE, 0 = no keepalive
    int fd;                     //  listening socket
    int port;                   //  port actually bound
    int pause_timer;            //  re-arms accepting, or 0
    bool full_logged;           //  "full" was logged since the last accept
    bool fd_limit_logged;       //  "out of descriptors" was logged
    proxy_wait_t *proxy;        //  client port with --proxy-protocol, else NULL
    listener_stage_t stage;     //  client port: where admitted sockets wait (TLS
                                //  handshake, HTTP upgrade), or none (add NULL)
    void *stage_arg;            //  its argument
    size_t (*shared) (void *arg);   //  client port: sockets waiting at another port's
                                    //  stage under the same limit, or NULL
    void *shared_arg;           //  its argument
};

static int
s_resume_accepting (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    listener_t *self = (listener_t *) arg;
    self->pause_timer = 0;
    loop_set_interest (loop, self->fd, LOOP_READABLE);
    return -1;
}

//  Refuse a connection: one line, then close. It has not sent anything
//  yet, so close () sends FIN, not RST. A port whose stage does not speak
//  plain text (TLS) gets no line (listener.h).
static void
s_refuse_with (listener_t *self, int fd, const char *notice)
{
    if (!self->stage.silent_refusals) {
        ssize_t rc = send (fd, notice, strlen (notice), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void) rc;
    }
    close (fd);
}

//  Over the connection limit: logged once until a client is accepted again.
static void
s_refuse (listener_t *self, int fd)
{
    GATEWAY_COUNT (GATEWAY_METRIC_REFUSED_FULL);
    if (!self->full_logged) {
        zsys_warning ("listener: full clients=%zu max=%zu", client_set_size (self->clients),
                      self->max_clients);
        self->full_logged = true;
    }
    s_refuse_with (self, fd, LISTENER_FULL_NOTICE);
}

//  The per-address caps (admission.h; it logs refusals). Returns 0 and
//  the entry to hand the client, or -1 when fd was refused and closed.
//  peer is the client's address (NULL: the socket's peer).
static int
s_admit (listener_t *self, int fd, const struct sockaddr *peer, admission_entry_t **entry_p)
{
    *entry_p = NULL;
    admission_t *admission = client_set_admission (self->clients);
    if (!admission || !admission_enabled (admission))
        return 0;
    struct sockaddr_storage own;
    if (!peer) {
        socklen_t size = sizeof (own);
        if (getpeername (fd, (struct sockaddr *) &own, &size) == -1)
            return 0;
        peer = (struct sockaddr *) &own;
    }
    if (peer->sa_family == AF_UNSPEC)
        return 0;
    admission_result_t result = admission_enter (admission, peer, loop_now (self->loop),
                                                 entry_p);
    if (result == ADMISSION_OK)
        return 0;
    GATEWAY_COUNT (result == ADMISSION_TOO_MANY? GATEWAY_METRIC_REFUSED_PER_IP
                                                : GATEWAY_METRIC_REFUSED_RATE);
    s_refuse_with (self, fd, LISTENER_ADDRESS_NOTICE);
    return -1;
}

static void
s_accept (loop_t *loop, int fd, int events, void *arg)
{
    (void) fd;
    (void) events;
    listener_t *self = (listener_t *) arg;
    for (int count = 0; count < LISTENER_ACCEPT_BATCH; count++) {
        int client_fd = accept4 (self->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client_fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                if (!self->fd_limit_logged) {
                    zsys_warning ("listener: cannot accept port=%d error=%s",
                                  self->port, strerror (errno));
                    self->fd_limit_logged = true;
                }
                //  Level-triggered and readable: without a pause we would spin
                loop_set_interest (loop, self->fd, 0);
                self->pause_timer = loop_timer_add (loop, LISTENER_PAUSE_MS, false,
                                                    s_resume_accepting, self);
                return;
            }
            zsys_error ("listener: accept failed error=%s", strerror (errno));
            return;
        }
        self->fd_limit_logged = false;
        self->on_accept (self->arg, client_fd);
    }
}

//  A socket becomes a client (peer: its real address, or NULL), unless
//  its address is over a cap.
static void
s_client_from (listener_t *self, int fd, const struct sockaddr *peer)
{
    admission_entry_t *entry;
    if (s_admit (self, fd, peer, &entry))
        return;
    self->full_logged = false;
    int on = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof (on));
    if (self->keepalive_s > 0) {
        int idle = self->keepalive_s;
        int interval = MIN (idle, LISTENER_KEEPALIVE_INTERVAL_S);
        int probes = LISTENER_KEEPALIVE_PROBES;
        setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof (on));
        setsockopt (fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof (idle));
        setsockopt (fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof (interval));
        setsockopt (fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof (probes));
    }
    if (self->stage.add)
        self->stage.add (self->stage_arg, fd, entry, peer);
    else
        client_set_accept_admitted (self->clients, fd, entry, peer);
}

static void
s_on_proxied (void *arg, int fd, const struct sockaddr *address)
{
    s_client_from ((listener_t *) arg, fd, address);
}

//  The client port's handler: a client (or, with the PROXY protocol, a
//  socket waiting for its header), or a refusal over the limit; waiting
//  sockets count against it.
static void
s_on_client (void *arg, int fd)
{
    listener_t *self = (listener_t *) arg;
    size_t waiting = self->proxy? proxy_wait_size (self->proxy): 0;
    if (self->stage.size)
        waiting += self->stage.size (self->stage_arg);
    if (self->shared)
        waiting += self->shared (self->shared_arg);
    if (client_set_size (self->clients) + waiting >= self->max_clients) {
        s_refuse (self, fd);
        return;
    }
    if (self->proxy)
        proxy_wait_add (self->proxy, fd);
    else
        s_client_from (self, fd, NULL);
}

int
listener_set_proxy_protocol (listener_t *self, const cidr_list_t *trusted)
{
    assert (self);
    assert (self->clients);
    proxy_wait_destroy (&self->proxy);
    self->proxy = proxy_wait_new (self->loop, trusted, s_on_proxied, self);
    return self->proxy? 0: -1;
}

void
listener_set_stage (listener_t *self, const listener_stage_t *stage, void *arg)
{
    assert (self);
    assert (self->clients);
    assert (stage && stage->add);
    self->stage = *stage;
    self->stage_arg = arg;
}

void
listener_share_limit (listener_t *self, size_t (*size) (void *arg), void *arg)
{
    assert (self);
    assert (self->clients);
    self->shared = size;
    self->shared_arg = arg;
}

void
listener_set_keepalive (listener_t *self, int idle_s)
{
    assert (self);
    self->keepalive_s = MAX (idle_s, 0);
}

listener_t *
listener_new (loop_t *loop, const char *address, int backlog,
              client_set_t *clients, size_t max_clients)
{
    assert (clients);
    listener_t *self = listener_new_with (loop, address, backlog, s_on_client, NULL);
    if (self) {
        self->arg = self;
        self->clients = clients;
        self->max_clients = max_clients;
    }
    return self;
}

listener_t *
listener_new_with (loop_t *loop, const char *address, int backlog,
                   listener_accept_fn *on_accept, void *arg)
{
    assert (loop);
    assert (address);
    assert (on_accept);
    int port;
    int fd = address_listen (address, backlog, "listener", &port);
    if (fd == -1)
        return NULL;
    listener_t *self = (listener_t *) zmalloc (sizeof (listener_t));
    if (!self) {
        close (fd);
        return NULL;
    }
    self->loop = loop;
    self->on_accept = on_accept;
    self->arg = arg;
    self->fd = fd;
    self->port = port;
    if (loop_add (loop, fd, LOOP_READABLE, s_accept, self)) {
        close (fd);
        free (self);
        return NULL;
    }
    zsys_info ("listener: bound address=%s port=%d backlog=%d", address, port, backlog);
    return self;
}

void
listener_destroy (listener_t **self_p)
{
    assert (self_p);
    listener_t *self = *self_p;
    if (!self)
        return;
    if (self->pause_timer)
        loop_timer_cancel (self->loop, self->pause_timer);
    proxy_wait_destroy (&self->proxy);
    loop_remove (self->loop, self->fd);
    close (self->fd);
    free (self);
    *self_p = NULL;
}

int
listener_port (listener_t *self)
{
    assert (self);
    return self->port;
}

/*  =========================================================================
    health.c - the gateway's health endpoint for load balancers

    Implements health.h. The socket comes from listener_bind (same address
    rules as the client port). On readiness it accepts until EAGAIN or a
    batch limit, and answers each connection on the spot: one send of the
    line (a fresh socket's buffer always has room for it), a read of
    whatever the checker may have sent (close () with unread input sends
    RST, not FIN), and close (). No fd stays open past the handler.
    =========================================================================
*/
#include "health.h"
#include "listener.h"

#define HEALTH_BACKLOG          64      //  checks queued at most
#define HEALTH_ACCEPT_BATCH     64      //  accepts per readiness, at most
#define HEALTH_LINE_MAX         64      //  bytes of the answer line
#define HEALTH_DRAIN_SIZE       512     //  bytes of checker input read away
#define HEALTH_PAUSE_MS         100     //  pause when out of descriptors
#define HEALTH_LINE_FORMAT      "ok clients=%zu\r\n"

struct _health_t {
    loop_t *loop;               //  our event loop
    int fd;                     //  listening socket
    int port;                   //  port actually bound
    health_count_fn *count;     //  current client count
    void *arg;                  //  its argument
    int pause_timer;            //  re-arms accepting, or 0
    bool error_logged;          //  an accept error was logged
};

static void
s_answer (health_t *self, int fd)
{
    char line [HEALTH_LINE_MAX];
    int size = snprintf (line, sizeof (line), HEALTH_LINE_FORMAT, self->count (self->arg));
    ssize_t rc = send (fd, line, (size_t) size, MSG_NOSIGNAL | MSG_DONTWAIT);
    char drain [HEALTH_DRAIN_SIZE];
    while (rc >= 0 && (rc = recv (fd, drain, sizeof (drain), MSG_DONTWAIT)) > 0)
        ;
    close (fd);
}

static int
s_resume (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    health_t *self = (health_t *) arg;
    self->pause_timer = 0;
    loop_set_interest (loop, self->fd, LOOP_READABLE);
    return -1;
}

static void
s_accept (loop_t *loop, int fd, int events, void *arg)
{
    (void) fd;
    (void) events;
    health_t *self = (health_t *) arg;
    for (int count = 0; count < HEALTH_ACCEPT_BATCH; count++) {
        int check_fd = accept4 (self->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (check_fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            //  Out of descriptors, say: the socket stays readable, so
            //  stop watching it for a moment instead of spinning
            if (!self->error_logged) {
                zsys_warning ("health: cannot accept error=%s", strerror (errno));
                self->error_logged = true;
            }
            loop_set_interest (loop, self->fd, 0);
            self->pause_timer = loop_timer_add (loop, HEALTH_PAUSE_MS, false, s_resume, self);
            return;
        }
        self->error_logged = false;
        s_answer (self, check_fd);
    }
}

health_t *
health_new (loop_t *loop, const char *address, health_count_fn *count, void *arg)
{
    assert (loop);
    assert (address);
    assert (count);
    int port;
    int fd = listener_bind (address, HEALTH_BACKLOG, &port);
    if (fd == -1)
        return NULL;
    health_t *self = (health_t *) zmalloc (sizeof (health_t));
    if (!self) {
        close (fd);
        return NULL;
    }
    self->loop = loop;
    self->fd = fd;
    self->port = port;
    self->count = count;
    self->arg = arg;
    if (loop_add (loop, fd, LOOP_READABLE, s_accept, self)) {
        close (fd);
        free (self);
        return NULL;
    }
    zsys_info ("health: bound address=%s port=%d", address, port);
    return self;
}

void
health_destroy (health_t **self_p)
{
    assert (self_p);
    health_t *self = *self_p;
    if (!self)
        return;
    if (self->pause_timer)
        loop_timer_cancel (self->loop, self->pause_timer);
    loop_remove (self->loop, self->fd);
    close (self->fd);
    free (self);
    *self_p = NULL;
}

int
health_port (health_t *self)
{
    assert (self);
    return self->port;
}

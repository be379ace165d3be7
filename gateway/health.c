/*  =========================================================================
    health.c - the gateway's health endpoint for load balancers

    Implements health.h on a listener of its own (listener_new_with: same
    address rules, accept batching and out-of-descriptors pause as the
    client port). Each accepted socket is answered on the spot: one send
    of the line (a fresh socket's buffer always has room for it), a read
    of whatever the checker may have sent (close () with unread input
    sends RST, not FIN), and close (). No fd stays open past the handler.
    =========================================================================
*/
#include "health.h"
#include "listener.h"

#define HEALTH_BACKLOG          64      //  checks queued at most
#define HEALTH_LINE_MAX         64      //  bytes of the answer line
#define HEALTH_DRAIN_SIZE       512     //  bytes of checker input read away
#define HEALTH_LINE_FORMAT      "ok clients=%zu\r\n"
//  No "ok" anywhere in it: HAProxy's check looks for that string
#define HEALTH_NOT_READY_FORMAT "not-ready router=unreachable clients=%zu\r\n"

struct _health_t {
    listener_t *listener;       //  the health port
    health_count_fn *count;     //  current client count
    void *arg;                  //  its argument
    bool ready;                 //  can serve new clients (router reachable)
};

static void
s_answer (void *arg, int fd)
{
    health_t *self = (health_t *) arg;
    char line [HEALTH_LINE_MAX];
    int size = snprintf (line, sizeof (line),
                         self->ready? HEALTH_LINE_FORMAT: HEALTH_NOT_READY_FORMAT,
                         self->count (self->arg));
    ssize_t rc = send (fd, line, (size_t) size, MSG_NOSIGNAL | MSG_DONTWAIT);
    char drain [HEALTH_DRAIN_SIZE];
    while (rc >= 0 && (rc = recv (fd, drain, sizeof (drain), MSG_DONTWAIT)) > 0)
        ;
    close (fd);
}

health_t *
health_new (loop_t *loop, const char *address, health_count_fn *count, void *arg)
{
    assert (loop);
    assert (address);
    assert (count);
    health_t *self = (health_t *) zmalloc (sizeof (health_t));
    assert (self);
    self->count = count;
    self->arg = arg;
    self->ready = true;
    self->listener = listener_new_with (loop, address, HEALTH_BACKLOG, s_answer, self);
    if (!self->listener) {
        free (self);
        return NULL;
    }
    return self;
}

void
health_destroy (health_t **self_p)
{
    assert (self_p);
    health_t *self = *self_p;
    if (!self)
        return;
    listener_destroy (&self->listener);
    free (self);
    *self_p = NULL;
}

void
health_set_ready (health_t *self, bool ready)
{
    assert (self);
    self->ready = ready;
}

int
health_port (health_t *self)
{
    assert (self);
    return listener_port (self->listener);
}

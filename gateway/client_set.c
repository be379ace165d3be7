/*  =========================================================================
    client_set.c - all the clients of one gateway: lists, ticks, end of pass

    Implements the client_set_* half of client.h. The set owns every
    client (from a slab) and moves it between intrusive lists: the idle
    list (open clients, oldest activity first, for the idle timeout), the
    warned list (idle clients told they will be closed, same order), the
    closing list (for the linger deadline), the pending-write list, the
    held list (clients whose owner answered CLIENT_AGAIN) and the reap
    list. A late loop hook flushes every pending client once per pass,
    tells the owner of closed clients and frees dead ones; a tick closes
    idle clients and stuck ones (the stuck list: clients whose full queue
    refused a line, oldest first) and finishes lingering ones; the keep timer gives back
    output queues that stayed empty (see outbuf.h).
    =========================================================================
*/
#include "client_private.h"
#include "gateway_metrics.h"

#define CLIENT_TICK_MS          1000        //  idle / stuck / linger check period
#define CLIENT_TICK_MIN_MS      10          //  fastest check period (tests)
#define CLIENT_TICK_DIVISOR     4           //  checks per (smallest) timeout
#define CLIENT_KEEP_MS          250         //  an empty queue is kept this long (at least)
#define CLIENT_PASS_ROUNDS      16          //  flush/reap rounds in one pass
#define CLIENT_SHARED_INITIAL   4096        //  first size of the pass buffer
#define CLIENT_SHARED_MAX       (64 * 1024 * 1024)  //  past this, lines are copied per client
#define CLIENT_MS_PER_SECOND    1000
#define CLIENT_WARNING_SHARE    2           //  the idle warning comes at most 1/2
                                            //  of the timeout before the close

#define CLIENT_IDLE_FORMAT      "! idle for %" PRId64 " seconds, disconnecting\r\n"
#define CLIENT_IDLE_WARNING     "* you will be disconnected in %" PRId64 " s for " \
                                "inactivity; send any line (even an empty one) to stay\r\n"

//  --- the doubly linked idle and closing lists -----------------------------

void
client_list_append (client_list_t *list, client_t *client)
{
    client->prev = list->tail;
    client->next = NULL;
    if (list->tail)
        list->tail->next = client;
    else
        list->head = client;
    list->tail = client;
}

void
client_list_remove (client_list_t *list, client_t *client)
{
    if (client->prev)
        client->prev->next = client->next;
    else
        list->head = client->next;
    if (client->next)
        client->next->prev = client->prev;
    else
        list->tail = client->prev;
    client->prev = client->next = NULL;
}

//  A complete line: the client is active, move it to the idle list's tail.
void
client_set_touch (client_t *self)
{
    client_set_t *set = self->set;
    self->last_active = loop_now (set->loop);
    if (self->closing || self->ending || set->idle.tail == self)
        return;
    client_set_unlink_open (self);
    client_list_append (&set->idle, self);
}

void
client_set_unlink_open (client_t *self)
{
    client_list_remove (self->warned? &self->set->warned: &self->set->idle, self);
    self->warned = false;
}

//  Close every client not yet closing (warned and ending ones too) with reason.
static void
s_close_open (client_set_t *self, client_close_reason_t reason)
{
    while (self->idle.head)
        client_close (self->idle.head, reason);
    while (self->warned.head)
        client_close (self->warned.head, reason);
    while (self->ending.head)
        client_close (self->ending.head, reason);
}

void
client_set_pending_add (client_t *self)
{
    if (self->in_pending || self->fd == -1)
        return;
    self->in_pending = true;
    self->pending_next = NULL;
    client_set_t *set = self->set;
    if (set->flushed_pass == loop_pass (set->loop))
        loop_again (set->loop);     //  our flush already ran in this pass
    client_list_t *pending = &set->pending;
    if (pending->tail)
        pending->tail->pending_next = self;
    else
        pending->head = self;
    pending->tail = self;
}

void
client_set_reap_add (client_t *self)
{
    if (self->in_reap)
        return;
    self->in_reap = true;
    self->reap_next = self->set->reap;
    self->set->reap = self;
}

void
client_set_held_add (client_t *self)
{
    if (self->in_held)
        return;
    self->in_held = true;
    self->held_next = NULL;
    client_list_t *held = &self->set->held;
    if (held->tail)
        held->tail->held_next = self;
    else
        held->head = self;
    held->tail = self;
}

//  Appended as stuck_since is set (loop time never goes back), so the
//  list stays ordered by stuck_since and the tick looks at its head only.
void
client_set_stuck_add (client_t *self)
{
    client_set_t *set = self->set;
    if (self->in_stuck || set->limits.stuck_timeout_ms <= 0)
        return;
    self->in_stuck = true;
    self->stuck_prev = set->stuck.tail;
    self->stuck_next = NULL;
    if (set->stuck.tail)
        set->stuck.tail->stuck_next = self;
    else
        set->stuck.head = self;
    set->stuck.tail = self;
}

void
client_set_stuck_remove (client_t *self)
{
    if (!self->in_stuck)
        return;
    client_list_t *stuck = &self->set->stuck;
    if (self->stuck_prev)
        self->stuck_prev->stuck_next = self->stuck_next;
    else
        stuck->head = self->stuck_next;
    if (self->stuck_next)
        self->stuck_next->stuck_prev = self->stuck_prev;
    else
        stuck->tail = self->stuck_prev;
    self->stuck_prev = self->stuck_next = NULL;
    self->in_stuck = false;
}

//  --- the set's periodic tick and end-of-pass hook ------------------------

static int
s_tick (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    client_set_t *self = (client_set_t *) arg;
    int64_t now = loop_now (loop);
    int64_t idle_ms = self->limits.idle_timeout_ms;
    int64_t warning_ms = self->limits.idle_warning_ms;
    if (idle_ms > 0) {
        //  Oldest first: stop at the first client still inside the
        //  warning time; a warned client moves to the warned list, which
        //  keeps the same order, so each list is looked at from its head
        while (warning_ms > 0 && self->idle.head
           &&  now - self->idle.head->last_active >= idle_ms - warning_ms) {
            client_t *client = self->idle.head;
            char notice [CLIENT_NOTICE_MAX];
            int size = snprintf (notice, sizeof (notice), CLIENT_IDLE_WARNING,
                                 (idle_ms - (now - client->last_active) + CLIENT_MS_PER_SECOND - 1)
                                 / CLIENT_MS_PER_SECOND);
            client_notice (client, notice, size);
            client_list_remove (&self->idle, client);
            client_list_append (&self->warned, client);
            client->warned = true;
        }
        client_list_t *oldest = warning_ms > 0? &self->warned: &self->idle;
        while (oldest->head && now - oldest->head->last_active >= idle_ms) {
            client_t *client = oldest->head;
            char notice [CLIENT_NOTICE_MAX];
            int size = snprintf (notice, sizeof (notice), CLIENT_IDLE_FORMAT,
                                 idle_ms / CLIENT_MS_PER_SECOND);
            client_notice (client, notice, size);
            client_close (client, CLIENT_CLOSE_IDLE);
        }
    }
    //  A client whose queue filled and got no output since is stuck too:
    //  oldest first, stop at the first one still inside the timeout
    int64_t stuck_ms = self->limits.stuck_timeout_ms;
    while (self->stuck.head && now - self->stuck.head->stuck_since >= stuck_ms)
        client_close (self->stuck.head, CLIENT_CLOSE_STUCK);
    //  Peers that closed their side: the owner had the linger time
    while (self->ending.head && now >= self->ending.head->deadline)
        client_close (self->ending.head, CLIENT_CLOSE_EOF);
    client_t *client = self->closing.head;
    while (client) {
        client_t *next = client->next;
        if (now >= client->deadline)
            client_finish (client);
        client = next;
    }
    //  A quiet server gives its spare queues back, half per tick
    outbuf_pool_trim (self->outbufs);
    return 0;
}

//  Give back every queue that stayed empty since the last check: a client
//  keeps its queue while it gets output pass after pass, and an idle
//  client owns none a moment later.
static int
s_keep_check (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    client_set_t *self = (client_set_t *) arg;
    outbuf_pool_release_idle (self->outbufs);
    //  A burst grew the pass buffer: give it back once passes stay small
    if (self->shared_capacity > CLIENT_SHARED_INITIAL
    &&  self->shared_peak < self->shared_capacity / 4 && self->shared_used == 0) {
        free (self->shared);
        self->shared = NULL;
        self->shared_capacity = 0;
    }
    self->shared_peak = 0;
    return 0;
}

int
client_set_share (client_set_t *self, const char *data, size_t size, client_shared_t *shared)
{
    assert (self);
    assert (shared);
    size_t used = self->shared_used;
    if (used + size > self->shared_capacity) {
        size_t capacity = self->shared_capacity? self->shared_capacity: CLIENT_SHARED_INITIAL;
        while (capacity < used + size)
            capacity *= 2;
        if (capacity > CLIENT_SHARED_MAX)
            return -1;
        //  Clients hold offsets, not pointers: the buffer may move
        char *grown = (char *) realloc (self->shared, capacity);
        if (!grown)
            return -1;
        self->shared = grown;
        self->shared_capacity = (uint32_t) capacity;
    }
    memcpy (self->shared + used, data, size);
    shared->offset = (uint32_t) used;
    shared->size = (uint32_t) size;
    self->shared_used = (uint32_t) (used + size);
    return 0;
}

//  The pass is over: a client the rounds left pending keeps its shared
//  lines in its own queue, and the pass buffer starts again.
static void
s_shared_reset (client_set_t *self)
{
    if (self->shared_used == 0)
        return;
    for (client_t *client = self->pending.head; client; client = client->pending_next)
        client_unshare (client);
    self->shared_peak = MAX (self->shared_peak, self->shared_used);
    self->shared_used = 0;
}

//  The count of clients on transport (created on first use), or NULL
//  when more transports than CLIENT_TRANSPORTS_MAX are in use.
static size_t *
s_transport_count (client_set_t *self, const transport_ops_t *transport)
{
    for (int index = 0; index < CLIENT_TRANSPORTS_MAX; index++) {
        if (!self->transports [index].transport)
            self->transports [index].transport = transport;
        if (self->transports [index].transport == transport)
            return &self->transports [index].size;
    }
    return NULL;
}

static void
s_free (client_t *self)
{
    client_set_t *set = self->set;
    size_t *count = s_transport_count (set, self->transport);
    if (count)
        (*count)--;
    linebuf_reset (&self->input);
    client_output_free (self);
    set->size--;
    slab_free (set->slab, self);
}

static bool
s_freeable (client_t *self)
{
    return self->fd == -1 && self->notified && !self->in_reap && !self->in_pending;
}

//  Unlink and free dead clients that only the held list still holds.
static void
s_held_sweep (client_set_t *self)
{
    client_t **link = &self->held.head;
    self->held.tail = NULL;
    while (*link) {
        client_t *client = *link;
        if (s_freeable (client)) {
            *link = client->held_next;
            s_free (client);
        }
        else {
            self->held.tail = client;
            link = &client->held_next;
        }
    }
    self->held_dead = 0;
}

//  Flush every pending client once; tell the owner of closed clients and
//  free dead ones. on_closed may write or close more, hence the rounds.
static void
s_pass_end (loop_t *loop, void *arg)
{
    (void) loop;
    client_set_t *self = (client_set_t *) arg;
    for (int round = 0; round < CLIENT_PASS_ROUNDS; round++) {
        if (!self->pending.head && !self->reap)
            break;
        client_t *client = self->pending.head;
        self->pending.head = self->pending.tail = NULL;
        while (client) {
            client_t *next = client->pending_next;
            client->in_pending = false;
            client->pending_next = NULL;
            if (client->read_ready)
                client_read_pending (client);
            client_flush (client);
            client = next;
        }
        client = self->reap;
        self->reap = NULL;
        while (client) {
            client_t *next = client->reap_next;
            client->in_reap = false;
            if (!client->notified) {
                client->notified = true;
                self->events.on_closed (self->owner, client,
                                        (client_close_reason_t) client->reason);
            }
            if (client->fd == -1) {
                if (client->in_pending)
                    client_set_reap_add (client);    //  next round, after the flush
                else
                if (client->in_held)
                    self->held_dead++;      //  freed by the sweep below
                else
                    s_free (client);
            }
            client = next;
        }
    }
    if (self->held_dead)
        s_held_sweep (self);
    s_shared_reset (self);
    self->flushed_pass = loop_pass (self->loop);
}

//  --- the set --------------------------------------------------------------

client_set_t *
client_set_new (loop_t *loop, const client_limits_t *limits,
                const client_events_t *events, void *owner)
{
    assert (loop);
    assert (limits);
    assert (events && events->on_line && events->on_closed);
    client_set_t *self = (client_set_t *) zmalloc (sizeof (client_set_t));
    if (!self)
        return NULL;
    self->loop = loop;
    self->limits = *limits;
    self->events = *events;
    self->owner = owner;
    self->scratch = (char *) malloc (CLIENT_READ_SIZE);
    self->outbufs = outbuf_pool_new ();
    self->slab = slab_new (sizeof (client_t));
    if (!self->scratch || !self->outbufs || !self->slab) {
        free (self->scratch);
        outbuf_pool_destroy (&self->outbufs);
        slab_destroy (&self->slab);
        free (self);
        return NULL;
    }
    //  A warning as early as the connect itself would tell nothing
    self->limits.idle_warning_ms = MIN (limits->idle_warning_ms,
                                        limits->idle_timeout_ms / CLIENT_WARNING_SHARE);
    int64_t tick_ms = CLIENT_TICK_MS;
    if (limits->idle_timeout_ms > 0)
        tick_ms = MIN (tick_ms, limits->idle_timeout_ms / CLIENT_TICK_DIVISOR);
    if (limits->linger_ms > 0)
        tick_ms = MIN (tick_ms, limits->linger_ms / CLIENT_TICK_DIVISOR);
    if (limits->stuck_timeout_ms > 0)
        tick_ms = MIN (tick_ms, limits->stuck_timeout_ms / CLIENT_TICK_DIVISOR);
    tick_ms = MAX (tick_ms, CLIENT_TICK_MIN_MS);
    self->flushed_pass = loop_pass (loop) - 1;
    self->tick_timer = loop_timer_add (loop, tick_ms, true, s_tick, self);
    self->keep_timer = loop_timer_add (loop, CLIENT_KEEP_MS, true, s_keep_check, self);
    loop_hook_add_late (loop, s_pass_end, self);
    return self;
}

void
client_set_destroy (client_set_t **self_p)
{
    assert (self_p);
    client_set_t *self = *self_p;
    if (!self)
        return;
    //  No flush: close every socket now, tell the owner, free everything
    s_close_open (self, CLIENT_CLOSE_SHUTDOWN);
    while (self->closing.head)
        client_finish (self->closing.head);
    for (client_t *client = self->pending.head; client; client = client->pending_next)
        client->in_pending = false;
    self->pending.head = self->pending.tail = NULL;
    client_t *client = self->held.head;
    while (client) {
        client_t *next = client->held_next;
        client->in_held = false;
        if (s_freeable (client))
            s_free (client);
        client = next;
    }
    self->held.head = self->held.tail = NULL;
    self->held_dead = 0;
    s_pass_end (self->loop, self);
    assert (self->size == 0);
    loop_timer_cancel (self->loop, self->tick_timer);
    loop_timer_cancel (self->loop, self->keep_timer);
    loop_hook_remove (self->loop, s_pass_end, self);
    outbuf_pool_destroy (&self->outbufs);
    slab_destroy (&self->slab);
    free (self->shared);
    free (self->scratch);
    free (self);
    *self_p = NULL;
}

void
client_set_set_admission (client_set_t *self, admission_t *admission)
{
    assert (self);
    self->admission = admission;
}

admission_t *
client_set_admission (client_set_t *self)
{
    assert (self);
    return self->admission;
}

client_t *
client_set_accept (client_set_t *self, int fd)
{
    return client_set_accept_admitted (self, fd, NULL, NULL);
}

client_t *
client_set_accept_admitted (client_set_t *self, int fd, admission_entry_t *entry,
                            const struct sockaddr *peer)
{
    return client_set_accept_transport (self, fd, entry, peer, &transport_tcp, NULL);
}

client_t *
client_set_accept_transport (client_set_t *self, int fd, admission_entry_t *entry,
                             const struct sockaddr *peer, const transport_ops_t *transport,
                             void *transport_state)
{
    assert (self);
    assert (transport);
    client_t *client = (client_t *) slab_alloc (self->slab);
    if (!client || loop_add (self->loop, fd, LOOP_READABLE, client_on_io, client)) {
        slab_free (self->slab, client);
        if (transport->destroy)
            transport->destroy (transport_state);
        close (fd);
        if (self->admission)
            admission_leave (self->admission, entry);
        return NULL;
    }
    client->admission = entry;
    if (peer && peer->sa_family == AF_INET)
        memcpy (&client->peer.v4, peer, sizeof (client->peer.v4));
    else
    if (peer && peer->sa_family == AF_INET6)
        memcpy (&client->peer.v6, peer, sizeof (client->peer.v6));
    //  Bound what the kernel may hold for a reader that stops reading
    //  (autotuning grows it to megabytes); see client_write for the rest
    if (self->limits.sndbuf > 0)
        setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &self->limits.sndbuf,
                    sizeof (self->limits.sndbuf));
    client->set = self;
    client->id = ++self->next_id;
    client->fd = fd;
    client->transport = transport;
    client->transport_state = transport_state;
    linebuf_init (&client->input);
    flood_init (&client->flood, &self->limits.flood, loop_now (self->loop));
    client->last_active = loop_now (self->loop);
    client_list_append (&self->idle, client);
    self->size++;
    size_t *count = s_transport_count (self, transport);
    if (count)
        (*count)++;
    GATEWAY_COUNT (GATEWAY_METRIC_ACCEPTED);
    client_log_connected (client);
    client_telnet_start (client);
    if (self->events.on_opened)
        self->events.on_opened (self->owner, client);
    return client;
}

size_t
client_set_size (client_set_t *self)
{
    assert (self);
    return self->size;
}

size_t
client_set_transport_size (client_set_t *self, const transport_ops_t *transport)
{
    assert (self);
    for (int index = 0; index < CLIENT_TRANSPORTS_MAX; index++)
        if (self->transports [index].transport == transport)
            return self->transports [index].size;
    return 0;
}

void
client_set_close_all (client_set_t *self, client_close_reason_t reason)
{
    assert (self);
    s_close_open (self, reason);
}

void
client_set_resume (client_set_t *self)
{
    assert (self);
    while (self->held.head) {
        client_t *client = self->held.head;
        self->held.head = client->held_next;
        if (!self->held.head)
            self->held.tail = NULL;
        client->in_held = false;
        client->held_next = NULL;
        if (client->fd == -1 || client->closing) {
            if (s_freeable (client)) {
                self->held_dead--;
                s_free (client);
            }
            continue;
        }
        if (client->paused)
            continue;           //  client_resume will offer it
        client_resume_input (client);
        if (client->in_held)
            break;              //  the owner said "again" once more
    }
}

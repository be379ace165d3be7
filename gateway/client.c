/*  =========================================================================
    client.c - one client connection: bytes in, lines out, bounded output

    Implements client.h. Input: one read per readiness into the set's
    shared scratch buffer, telnet filtering in place (telnet.c), lines
    handed out straight from the scratch buffer (linebuf.c), checked
    (text.c) and passed to the owner. Only a partial or held line is copied
    into per-client memory, so an idle client owns no buffers at all.

    Output, as in redis: client_write is a memcpy into the client's queue
    and an append to the set's pending list. A late loop hook flushes every
    pending client with one send; only when the kernel buffer is full does
    the client ask the loop for writability. The queue itself is outbuf.c:
    a grown queue keeps its memory while the client keeps getting output
    (a busy room refills it every pass, and freeing it on every drain cost
    a realloc, a free and page faults per client per pass); this file's
    keep timer gives it back once it has stayed empty for CLIENT_KEEP_MS.

    Lifecycle: open -> closing (client_close: input discarded, output
    flushed, then FIN, then input read and discarded until the peer's EOF
    or the linger time) -> dead (fd closed) -> freed by the same late hook
    that flushes, after on_closed. Four intrusive lists hold clients: the
    idle list (open clients, oldest activity first), the closing list,
    the pending-write list and the reap list; plus the held list of
    clients whose owner answered CLIENT_AGAIN.
    =========================================================================
*/
#include "client.h"
#include "telnet.h"
#include "linebuf.h"
#include "text.h"
#include "outbuf.h"
#include "slab.h"

#define CLIENT_READ_SIZE        (16 * 1024) //  shared scratch buffer for reads
#define CLIENT_TICK_MS          1000        //  idle / linger check period
#define CLIENT_TICK_MIN_MS      10          //  fastest check period (tests)
#define CLIENT_TICK_DIVISOR     4           //  checks per (smallest) timeout
#define CLIENT_FLUSH_GRACE_MS   1000        //  flush time allowed on top of linger
#define CLIENT_DRAIN_READS      16          //  reads to empty input before close
#define CLIENT_DRAIN_SIZE       4096        //  stack buffer for those reads
#define CLIENT_KEEP_MS          250         //  an empty queue is kept this long (at least)
#define CLIENT_PASS_ROUNDS      16          //  flush/reap rounds in one pass
#define CLIENT_NOTICE_MAX       128         //  longest notice we format
#define CLIENT_MS_PER_SECOND    1000

#define CLIENT_TOO_LONG_FORMAT  "! line too long (max %zu bytes), discarded\r\n"
#define CLIENT_CONTROL_NOTICE   "! line rejected: control characters are not allowed\r\n"
#define CLIENT_UTF8_NOTICE      "! line rejected: invalid UTF-8\r\n"
#define CLIENT_LAGGED_FORMAT    "! lagged: %" PRIu64 " messages skipped\r\n"
#define CLIENT_IDLE_FORMAT      "! idle for %" PRId64 " seconds, disconnecting\r\n"

struct _client_t {
    client_set_t *set;          //  the set that owns this client
    void *owner_data;           //  the owner's session, or NULL
    uint64_t id;                //  unique within the process
    int fd;                     //  the socket, -1 once closed
    telnet_t telnet;            //  telnet filter state
    uint8_t reason;             //  client_close_reason_t, once closing
    bool closing : 1;           //  client_close was called
    bool notified : 1;          //  on_closed was called
    bool paused : 1;            //  the owner paused input
    bool parsing : 1;           //  inside linebuf (no re-entry)
    bool peer_eof : 1;          //  read returned 0
    bool fin_sent : 1;          //  shutdown (SHUT_WR) done
    bool want_write : 1;        //  waiting for the loop's writability
    bool in_pending : 1;        //  on the pending-write list
    bool in_reap : 1;           //  on the reap list
    bool in_held : 1;           //  on the held list
    linebuf_t input;            //  partial or held input
    outbuf_t output;            //  output queue
    uint64_t skipped;           //  lines skipped since the last lag notice
    int64_t last_active;        //  ms of the last complete line (or accept)
    int64_t stuck_since;        //  ms of the first skip while full, or 0
    int64_t deadline;           //  closing: ms when we stop waiting
    client_t *prev;             //  idle list (open) or closing list
    client_t *next;             //  idle list (open) or closing list
    client_t *pending_next;     //  pending-write list
    client_t *reap_next;        //  reap list
    client_t *held_next;        //  held list
};

typedef struct {
    client_t *head;             //  first client
    client_t *tail;             //  last client
} s_list_t;

struct _client_set_t {
    loop_t *loop;               //  our event loop
    client_limits_t limits;     //  copy of the limits
    client_events_t events;     //  copy of the owner's callbacks
    void *owner;                //  the owner, for callbacks
    char *scratch;              //  CLIENT_READ_SIZE bytes for reads
    size_t size;                //  clients not yet freed
    uint64_t next_id;           //  last id handed out
    s_list_t idle;              //  open clients, least recently active first
    s_list_t closing;           //  closing clients with an open fd
    s_list_t pending;           //  clients with output to flush (pending_next)
    s_list_t held;              //  clients holding a refused line (held_next)
    client_t *reap;             //  clients to notify or free (reap_next)
    size_t held_dead;           //  dead clients only the held list still links
    int tick_timer;             //  idle and linger checks
    uint64_t flushed_pass;      //  loop pass whose flush has run (+1: none)
    outbuf_pool_t *outbufs;     //  memory of the output queues
    slab_t *slab;               //  memory of the clients themselves
    int keep_timer;             //  gives back queues that stayed empty
};

static void s_update_interest (client_t *self);
static void s_flush (client_t *self);
static void s_finish (client_t *self);

//  --- the doubly linked idle and closing lists -----------------------------

static void
s_list_append (s_list_t *list, client_t *client)
{
    client->prev = list->tail;
    client->next = NULL;
    if (list->tail)
        list->tail->next = client;
    else
        list->head = client;
    list->tail = client;
}

static void
s_list_remove (s_list_t *list, client_t *client)
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
static void
s_touch (client_t *self)
{
    client_set_t *set = self->set;
    self->last_active = loop_now (set->loop);
    if (self->closing || set->idle.tail == self)
        return;
    s_list_remove (&set->idle, self);
    s_list_append (&set->idle, self);
}

static void
s_pending_add (client_t *self)
{
    if (self->in_pending || self->fd == -1)
        return;
    self->in_pending = true;
    self->pending_next = NULL;
    client_set_t *set = self->set;
    if (set->flushed_pass == loop_pass (set->loop))
        loop_again (set->loop);     //  our flush already ran in this pass
    s_list_t *pending = &set->pending;
    if (pending->tail)
        pending->tail->pending_next = self;
    else
        pending->head = self;
    pending->tail = self;
}

static void
s_reap_add (client_t *self)
{
    if (self->in_reap)
        return;
    self->in_reap = true;
    self->reap_next = self->set->reap;
    self->set->reap = self;
}

static void
s_held_add (client_t *self)
{
    if (self->in_held)
        return;
    self->in_held = true;
    self->held_next = NULL;
    s_list_t *held = &self->set->held;
    if (held->tail)
        held->tail->held_next = self;
    else
        held->head = self;
    held->tail = self;
}

//  --- output ---------------------------------------------------------------

//  Append bytes to the queue, ignoring the cap. Returns 0 or -1.
static int
s_output_append (client_t *self, const char *data, size_t size)
{
    if (outbuf_append (&self->output, self->set->outbufs, data, size))
        return -1;
    s_pending_add (self);
    return 0;
}

static void
s_output_free (client_t *self)
{
    outbuf_free (&self->output, self->set->outbufs);
}

int
client_write (client_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->closing)
        return -1;
    size_t used = outbuf_used (&self->output);
    if (used + size > self->set->limits.outbuf_max
    ||  s_output_append (self, data, size)) {
        self->skipped++;
        int64_t now = loop_now (self->set->loop);
        if (self->stuck_since == 0)
            self->stuck_since = now;
        else
        if (self->set->limits.stuck_timeout_ms > 0
        &&  now - self->stuck_since >= self->set->limits.stuck_timeout_ms)
            client_close (self, CLIENT_CLOSE_STUCK);
        return -1;
    }
    return 0;
}

//  Queue a notice that must not be lost (lag, idle): over the cap too.
static void
s_notice (client_t *self, const char *text, size_t size)
{
    if (s_output_append (self, text, size))
        self->skipped++;
}

//  Send what is queued: one send, as in redis. On a full kernel buffer ask
//  for writability; when drained, tell of skipped lines, or send FIN when
//  closing.
static void
s_flush (client_t *self)
{
    client_set_t *set = self->set;
    while (self->fd != -1) {
        size_t used = outbuf_used (&self->output);
        if (used == 0) {
            outbuf_drained (&self->output, set->outbufs);
            self->stuck_since = 0;
            if (self->skipped > 0 && !self->closing) {
                char notice [CLIENT_NOTICE_MAX];
                int size = snprintf (notice, sizeof (notice), CLIENT_LAGGED_FORMAT, self->skipped);
                self->skipped = 0;
                s_notice (self, notice, size);
                continue;
            }
            self->want_write = false;
            if (self->closing && !self->fin_sent) {
                shutdown (self->fd, SHUT_WR);
                self->fin_sent = true;
                self->deadline = loop_now (set->loop) + set->limits.linger_ms;
                if (self->peer_eof || set->limits.linger_ms <= 0) {
                    s_finish (self);
                    return;
                }
            }
            s_update_interest (self);
            return;
        }
        ssize_t sent = send (self->fd, outbuf_head (&self->output), used, MSG_NOSIGNAL);
        if (sent > 0) {
            outbuf_consume (&self->output, (size_t) sent);
            if ((size_t) sent == used)
                continue;
            //  A short send means the kernel buffer is full: wait for it
            self->want_write = true;
            s_update_interest (self);
            return;
        }
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            self->want_write = true;
            s_update_interest (self);
            return;
        }
        //  The peer is gone: nothing more can be sent
        if (self->closing)
            s_finish (self);
        else
            client_close (self, CLIENT_CLOSE_ERROR);
        return;
    }
}

//  --- input ----------------------------------------------------------------

static bool
s_can_read (client_t *self)
{
    if (self->fd == -1 || self->peer_eof)
        return false;
    return self->closing || (!self->paused && !linebuf_held (&self->input));
}

static void
s_update_interest (client_t *self)
{
    if (self->fd == -1)
        return;
    int interest = 0;
    if (s_can_read (self))
        interest |= LOOP_READABLE;
    if (self->want_write)
        interest |= LOOP_WRITABLE;
    loop_set_interest (self->set->loop, self->fd, interest);
}

static void
s_telnet_reply (void *arg, const uint8_t *reply, size_t size)
{
    client_write ((client_t *) arg, (const char *) reply, size);
}

//  linebuf's callback: check a complete line and hand it to the owner.
static int
s_on_line (void *arg, char *line, size_t size, int status)
{
    client_t *self = (client_t *) arg;
    client_set_t *set = self->set;
    if (self->closing)
        return LINEBUF_STOP;
    if (self->paused)
        return LINEBUF_AGAIN;
    s_touch (self);
    if (status == LINEBUF_TOO_LONG) {
        char notice [CLIENT_NOTICE_MAX];
        int notice_size = snprintf (notice, sizeof (notice), CLIENT_TOO_LONG_FORMAT,
                                    set->limits.max_line);
        client_write (self, notice, notice_size);
        return LINEBUF_CONTINUE;
    }
    text_status_t text = text_check (line, size);
    if (text == TEXT_CONTROL) {
        client_write (self, CLIENT_CONTROL_NOTICE, strlen (CLIENT_CONTROL_NOTICE));
        return LINEBUF_CONTINUE;
    }
    if (text == TEXT_INVALID_UTF8) {
        client_write (self, CLIENT_UTF8_NOTICE, strlen (CLIENT_UTF8_NOTICE));
        return LINEBUF_CONTINUE;
    }
    if (text_is_blank (line, size))
        return LINEBUF_CONTINUE;
    int rc = set->events.on_line (set->owner, self, line, size);
    if (rc == CLIENT_AGAIN)
        return LINEBUF_AGAIN;
    return self->closing? LINEBUF_STOP: LINEBUF_CONTINUE;
}

//  After linebuf has run: remember a held line, or give up on no memory.
static void
s_after_input (client_t *self, int rc)
{
    if (rc == LINEBUF_AGAIN && !self->paused && !self->closing)
        s_held_add (self);
    else
    if (rc == -1 && !self->closing) {
        zsys_warning ("client: out of memory for input id=%" PRIu64, self->id);
        client_close (self, CLIENT_CLOSE_ERROR);
    }
    s_update_interest (self);
}

static void
s_resume_input (client_t *self)
{
    if (self->parsing || self->closing || self->fd == -1)
        return;
    self->parsing = true;
    int rc = linebuf_resume (&self->input, self->set->limits.max_line, s_on_line, self);
    self->parsing = false;
    s_after_input (self, rc);
}

static void
s_read (client_t *self)
{
    client_set_t *set = self->set;
    ssize_t size;
    do
        size = read (self->fd, set->scratch, CLIENT_READ_SIZE);
    while (size == -1 && errno == EINTR);

    if (size > 0) {
        if (self->closing)
            return;             //  discarded: we only wait for EOF
        size_t kept = telnet_filter (&self->telnet, (uint8_t *) set->scratch, size,
                                     s_telnet_reply, self);
        if (kept == 0)
            return;
        self->parsing = true;
        int rc = linebuf_feed (&self->input, set->scratch, kept, set->limits.max_line,
                               s_on_line, self);
        self->parsing = false;
        s_after_input (self, rc);
    }
    else
    if (size == 0) {
        self->peer_eof = true;
        if (!self->closing)
            client_close (self, CLIENT_CLOSE_EOF);
        else
        if (self->fin_sent)
            s_finish (self);
        else
            s_update_interest (self);
    }
    else
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (self->closing)
            s_finish (self);
        else
            client_close (self, CLIENT_CLOSE_ERROR);
    }
}

static void
s_client_io (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    client_t *self = (client_t *) arg;
    if (events & (LOOP_READABLE | LOOP_ERROR)) {
        if (s_can_read (self))
            s_read (self);
        else
        if (events & LOOP_ERROR) {
            //  Hang-up or reset while we are not reading: it is dead
            if (self->closing)
                s_finish (self);
            else
                client_close (self, CLIENT_CLOSE_ERROR);
        }
    }
    if (self->fd != -1 && (events & LOOP_WRITABLE) && self->want_write)
        s_flush (self);
}

//  --- closing --------------------------------------------------------------

//  Close the socket now. Unread input is read away first where possible,
//  since close () with unread input sends RST instead of FIN.
static void
s_finish (client_t *self)
{
    if (self->fd == -1)
        return;
    client_set_t *set = self->set;
    //  Not the scratch buffer: this may run inside on_line, whose line
    //  lives there
    char drain [CLIENT_DRAIN_SIZE];
    if (!self->peer_eof)
        for (int round = 0; round < CLIENT_DRAIN_READS; round++)
            if (read (self->fd, drain, sizeof (drain)) <= 0)
                break;
    loop_remove (set->loop, self->fd);
    close (self->fd);
    self->fd = -1;
    s_output_free (self);
    if (self->closing)
        s_list_remove (&set->closing, self);
    s_reap_add (self);
}

void
client_close (client_t *self, client_close_reason_t reason)
{
    assert (self);
    if (self->closing)
        return;
    client_set_t *set = self->set;
    self->closing = true;
    self->reason = reason;
    s_list_remove (&set->idle, self);
    s_list_append (&set->closing, self);
    s_reap_add (self);
    //  One line per client is a trace, not lifecycle: verbose only. A
    //  client closed for a limit (stuck output) is worth a warning.
    if (reason == CLIENT_CLOSE_STUCK)
        zsys_warning ("client: closed id=%" PRIu64 " reason=%s", self->id,
                      client_close_reason_text (reason));
    else
    if (set->limits.verbose)
        zsys_debug ("client: closed id=%" PRIu64 " reason=%s", self->id,
                    client_close_reason_text (reason));
    self->deadline = loop_now (set->loop) + set->limits.linger_ms + CLIENT_FLUSH_GRACE_MS;
    if (reason == CLIENT_CLOSE_ERROR)
        s_finish (self);
    else {
        s_pending_add (self);   //  flush, then FIN, in this pass's hook
        s_update_interest (self);
    }
}

bool
client_is_closing (client_t *self)
{
    assert (self);
    return self->closing;
}

//  --- the set's periodic tick and end-of-pass hook ------------------------

static int
s_tick (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    client_set_t *self = (client_set_t *) arg;
    int64_t now = loop_now (loop);
    int64_t idle_ms = self->limits.idle_timeout_ms;
    if (idle_ms > 0) {
        //  Oldest first: stop at the first client still inside the timeout
        while (self->idle.head && now - self->idle.head->last_active >= idle_ms) {
            client_t *client = self->idle.head;
            char notice [CLIENT_NOTICE_MAX];
            int size = snprintf (notice, sizeof (notice), CLIENT_IDLE_FORMAT,
                                 idle_ms / CLIENT_MS_PER_SECOND);
            s_notice (client, notice, size);
            client_close (client, CLIENT_CLOSE_IDLE);
        }
    }
    client_t *client = self->closing.head;
    while (client) {
        client_t *next = client->next;
        if (now >= client->deadline)
            s_finish (client);
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
    return 0;
}

static void
s_free (client_t *self)
{
    client_set_t *set = self->set;
    linebuf_reset (&self->input);
    s_output_free (self);
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
            s_flush (client);
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
                    s_reap_add (client);    //  next round, after the flush
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
    int64_t tick_ms = CLIENT_TICK_MS;
    if (limits->idle_timeout_ms > 0)
        tick_ms = MIN (tick_ms, limits->idle_timeout_ms / CLIENT_TICK_DIVISOR);
    if (limits->linger_ms > 0)
        tick_ms = MIN (tick_ms, limits->linger_ms / CLIENT_TICK_DIVISOR);
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
    while (self->idle.head)
        client_close (self->idle.head, CLIENT_CLOSE_SHUTDOWN);
    while (self->closing.head)
        s_finish (self->closing.head);
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
    free (self->scratch);
    free (self);
    *self_p = NULL;
}

client_t *
client_set_accept (client_set_t *self, int fd)
{
    assert (self);
    client_t *client = (client_t *) slab_alloc (self->slab);
    if (!client || loop_add (self->loop, fd, LOOP_READABLE, s_client_io, client)) {
        slab_free (self->slab, client);
        close (fd);
        return NULL;
    }
    client->set = self;
    client->id = ++self->next_id;
    client->fd = fd;
    telnet_init (&client->telnet);
    linebuf_init (&client->input);
    client->last_active = loop_now (self->loop);
    s_list_append (&self->idle, client);
    self->size++;
    if (self->limits.verbose)
        zsys_debug ("client: opened id=%" PRIu64 " fd=%d", client->id, fd);
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

void
client_set_close_all (client_set_t *self, client_close_reason_t reason)
{
    assert (self);
    while (self->idle.head)
        client_close (self->idle.head, reason);
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
        s_resume_input (client);
        if (client->in_held)
            break;              //  the owner said "again" once more
    }
}

//  --- per client accessors ---------------------------------------------------

uint64_t
client_id (client_t *self)
{
    assert (self);
    return self->id;
}

void *
client_owner_data (client_t *self)
{
    assert (self);
    return self->owner_data;
}

void
client_set_owner_data (client_t *self, void *data)
{
    assert (self);
    self->owner_data = data;
}

void
client_pause (client_t *self)
{
    assert (self);
    self->paused = true;
    s_update_interest (self);
}

void
client_resume (client_t *self)
{
    assert (self);
    if (!self->paused)
        return;
    self->paused = false;
    if (linebuf_held (&self->input))
        s_resume_input (self);
    s_update_interest (self);
}

uint64_t
client_skipped (client_t *self)
{
    assert (self);
    return self->skipped;
}

const char *
client_close_reason_text (client_close_reason_t reason)
{
    switch (reason) {
        case CLIENT_CLOSE_QUIT:     return "quit";
        case CLIENT_CLOSE_EOF:      return "disconnected";
        case CLIENT_CLOSE_ERROR:    return "connection error";
        case CLIENT_CLOSE_IDLE:     return "idle";
        case CLIENT_CLOSE_STUCK:    return "stuck";
        case CLIENT_CLOSE_DRAIN:    return "server shutting down";
        case CLIENT_CLOSE_SHUTDOWN: return "gateway shut down";
        case CLIENT_CLOSE_REFUSED:  return "refused";
    }
    return "unknown";
}

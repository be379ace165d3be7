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
    a realloc, a free and page faults per client per pass); the set's
    keep timer gives it back once it has stayed empty for a while.

    What a client costs is its queue plus what the kernel holds in the
    socket's send queue (bounded by SO_SNDBUF, --sndbuf). The cap counts
    both: after a short send, the one moment the kernel's queue is known
    to be full and worth knowing, an ioctl (SIOCOUTQ) reads its size, and
    client_write refuses lines while ours plus that reach --outbuf-max.
    A send that empties our queue means the peer reads: the figure is
    dropped. So no delivery pays a system call, and a reader that stops
    costs at most --outbuf-max bytes, kernel included.

    Lifecycle: open -> closing (client_close: input discarded, output
    flushed, then FIN, then input read and discarded until the peer's EOF
    or the linger time) -> dead (fd closed) -> freed by the set's late
    hook, after on_closed. The set (client_set.c) owns the lists a client
    is on, its ticks and that hook.
    =========================================================================
*/
#include "client_private.h"
#include "text.h"
#include <sys/ioctl.h>
#include <linux/sockios.h>

_Static_assert (TELNET_EC_DATA == LINEBUF_ERASE_DEL && TELNET_EL_DATA == LINEBUF_ERASE_LINE,
                "telnet's EC and EL must become the bytes linebuf erases with");

#define CLIENT_FLUSH_GRACE_MS   1000        //  flush time allowed on top of linger
#define CLIENT_DRAIN_READS      16          //  reads to empty input before close
#define CLIENT_DRAIN_SIZE       4096        //  stack buffer for those reads

#define CLIENT_TOO_LONG_FORMAT  "! line too long (max %zu bytes), discarded\r\n"
#define CLIENT_CONTROL_NOTICE   "! line rejected: control characters are not allowed\r\n"
#define CLIENT_UTF8_NOTICE      "! line rejected: invalid UTF-8\r\n"
#define CLIENT_LAGGED_FORMAT    "! lagged: %" PRIu64 " messages skipped\r\n"
#define CLIENT_DROPPED_FORMAT   "! too much input while waiting for the server " \
                                "(over %zu bytes): lines dropped\r\n"
#define CLIENT_SLOW_NOTICE      "! slow down: you are sending too fast " \
                                "(your lines are delayed, none is lost)\r\n"
#define CLIENT_ADDRESS_MAX      (INET6_ADDRSTRLEN + 16)     //  " addr=[v6]:port"

static void s_update_interest (client_t *self);
static void s_peer_gone (client_t *self);
static void s_peer_closed (client_t *self);

//  --- output ---------------------------------------------------------------

//  Append bytes to the queue, ignoring the cap. Returns 0 or -1.
static int
s_output_append (client_t *self, const char *data, size_t size)
{
    if (outbuf_append (&self->output, self->set->outbufs, data, size))
        return -1;
    client_set_pending_add (self);
    return 0;
}

void
client_output_free (client_t *self)
{
    outbuf_free (&self->output, self->set->outbufs);
}

int
client_write (client_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->closing || self->out_dead)
        return -1;
    size_t used = outbuf_used (&self->output) + self->kernel_queued;
    if (used + size > self->set->limits.outbuf_max
    ||  s_output_append (self, data, size)) {
        self->skipped++;
        int64_t now = loop_now (self->set->loop);
        if (self->stuck_since == 0) {
            self->stuck_since = now;
            client_set_stuck_add (self);
        }
        else
        if (self->set->limits.stuck_timeout_ms > 0
        &&  now - self->stuck_since >= self->set->limits.stuck_timeout_ms)
            client_close (self, CLIENT_CLOSE_STUCK);
        return -1;
    }
    return 0;
}

//  Queue a notice that must not be lost (lag, idle): over the cap too.
void
client_notice (client_t *self, const char *text, size_t size)
{
    if (self->out_dead)
        return;
    if (s_output_append (self, text, size))
        self->skipped++;
}

//  The kernel is full: remember how much it holds (SIOCOUTQ: bytes sent
//  but not acknowledged, or not sent yet) and wait for writability.
static void
s_kernel_full (client_t *self)
{
    int queued = 0;
    self->kernel_queued = ioctl (self->fd, SIOCOUTQ, &queued) == 0 && queued > 0?
                          (size_t) queued: 0;
    self->want_write = true;
    s_update_interest (self);
}

//  Send what is queued: one send, as in redis. On a full kernel buffer ask
//  for writability; when drained, tell of skipped lines, or send FIN when
//  closing.
void
client_flush (client_t *self)
{
    client_set_t *set = self->set;
    while (self->fd != -1) {
        size_t used = outbuf_used (&self->output);
        if (used == 0) {
            outbuf_drained (&self->output, set->outbufs);
            self->kernel_queued = 0;
            self->stuck_since = 0;
            client_set_stuck_remove (self);
            if (self->skipped > 0 && !self->closing) {
                char notice [CLIENT_NOTICE_MAX];
                int size = snprintf (notice, sizeof (notice), CLIENT_LAGGED_FORMAT, self->skipped);
                self->skipped = 0;
                client_notice (self, notice, size);
                continue;
            }
            self->want_write = false;
            if (self->closing && !self->fin_sent) {
                shutdown (self->fd, SHUT_WR);
                self->fin_sent = true;
                self->deadline = loop_now (set->loop) + set->limits.linger_ms;
                if (self->peer_eof || set->limits.linger_ms <= 0) {
                    client_finish (self);
                    return;
                }
            }
            s_update_interest (self);
            return;
        }
        ssize_t sent = send (self->fd, outbuf_head (&self->output), used, MSG_NOSIGNAL);
        if (sent > 0) {
            self->bytes_out += (uint64_t) sent;
            outbuf_consume (&self->output, (size_t) sent);
            if ((size_t) sent == used)
                continue;
            //  A short send means the kernel buffer is full: wait for it
            s_kernel_full (self);
            return;
        }
        if (sent == -1 && errno == EINTR)
            continue;
        if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_kernel_full (self);
            return;
        }
        //  The peer is gone: nothing more can be sent
        if (self->closing)
            client_finish (self);
        else
            s_peer_gone (self);
        return;
    }
}

//  --- input ----------------------------------------------------------------

//  A paused client is read on (into its bounded queue, see s_hold)
//  when hold_max allows; one held only for a full uplink is not, so the
//  kernel's TCP window pushes back on it and nothing it sent is dropped.
static bool
s_can_read (client_t *self)
{
    if (self->fd == -1 || self->peer_eof)
        return false;
    if (self->closing || (!self->paused && !linebuf_held (&self->input)))
        return true;
    //  Under flood control a paused client holds at most what one read
    //  brought: the rest waits in the kernel, never dropped
    if (flood_enabled (&self->set->limits.flood) && linebuf_size (&self->input) > 0)
        return false;
    return self->paused && self->set->limits.hold_max > 0;
}

static void
s_update_interest (client_t *self)
{
    if (self->fd == -1)
        return;
    if (self->unwatched) {
        if (!s_can_read (self))
            return;
        self->unwatched = false;
        if (loop_add (self->set->loop, self->fd, LOOP_READABLE, client_on_io, self))
            client_close (self, CLIENT_CLOSE_ERROR);
        return;
    }
    int interest = 0;
    if (s_can_read (self))
        interest |= LOOP_READABLE;
    else
    if (!self->peer_eof && !self->ending && !self->closing)
        interest |= LOOP_PEER_CLOSED;   //  its FIN, behind input we do not read now
    if (self->want_write)
        interest |= LOOP_WRITABLE;
    loop_set_interest (self->set->loop, self->fd, interest);
}

static void
s_telnet_reply (void *arg, const uint8_t *reply, size_t size)
{
    client_write ((client_t *) arg, (const char *) reply, size);
}

void
client_telnet_start (client_t *self)
{
    telnet_init (&self->telnet);
    if (self->set->limits.telnet_offer)
        telnet_offer (&self->telnet, s_telnet_reply, self);
}

//  The token of a throttled client is there: offer its held lines again.
static int
s_flood_wake (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    client_t *self = (client_t *) arg;
    self->flood_timer = 0;
    if (!self->paused)
        client_resume_input (self);     //  else client_resume offers them
    return -1;
}

//  Take the token for one line; without one, arm the timer that brings
//  it and tell the client once per episode. True when throttled: the
//  line stays held and the socket unread (s_can_read).
static bool
s_throttled (client_t *self)
{
    client_set_t *set = self->set;
    if (self->flood_timer > 0)
        return true;
    int64_t wait_ms = flood_take (&self->flood, &set->limits.flood, loop_now (set->loop));
    if (wait_ms == 0)
        return false;
    self->flood_timer = loop_timer_add (set->loop, wait_ms, false, s_flood_wake, self);
    if (self->flood_timer <= 0) {
        self->flood_timer = 0;
        zsys_warning ("client: out of memory for a timer id=%" PRIu64, self->id);
        client_close (self, CLIENT_CLOSE_ERROR);
        return true;
    }
    if (flood_tell (&self->flood))
        client_notice (self, CLIENT_SLOW_NOTICE, strlen (CLIENT_SLOW_NOTICE));
    return true;
}

//  linebuf's callback: check a complete line and hand it to the owner.
static int
s_on_line (void *arg, char *line, size_t size, int status)
{
    client_t *self = (client_t *) arg;
    client_set_t *set = self->set;
    if (self->closing)
        return LINEBUF_STOP;
    //  Before the pause check: a dropped line is never held, so a pause
    //  (a /join in flight) would lose its notice
    if (status == LINEBUF_TOO_LONG) {
        client_set_touch (self);
        char notice [CLIENT_NOTICE_MAX];
        int notice_size = snprintf (notice, sizeof (notice), CLIENT_TOO_LONG_FORMAT,
                                    set->limits.max_line);
        client_write (self, notice, notice_size);
        return LINEBUF_CONTINUE;
    }
    if (self->paused)
        return LINEBUF_AGAIN;
    client_set_touch (self);
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
    //  Only what reaches the owner costs a token: a rejected or blank line
    //  goes nowhere (and an empty one keeps an idle client alive)
    if (s_throttled (self))
        return LINEBUF_AGAIN;
    int rc = set->events.on_line (set->owner, self, line, size);
    if (rc == CLIENT_AGAIN) {
        flood_give_back (&self->flood, &set->limits.flood);
        return LINEBUF_AGAIN;
    }
    return self->closing? LINEBUF_STOP: LINEBUF_CONTINUE;
}

static void s_scan_held (client_t *self);

//  After linebuf has run: remember a held line, or give up on no memory;
//  lines held (behind a pause or a full uplink) are shown to
//  on_held_line, so /quit does not wait for them.
static void
s_after_input (client_t *self, int rc)
{
    if (rc == LINEBUF_AGAIN && !self->paused && !self->closing && !self->flood_timer)
        client_set_held_add (self);     //  a full uplink: client_set_resume offers it
    else
    if (rc == -1 && !self->closing) {
        zsys_warning ("client: out of memory for input id=%" PRIu64, self->id);
        client_close (self, CLIENT_CLOSE_ERROR);
    }
    if (rc == LINEBUF_AGAIN)
        s_scan_held (self);     //  paused, or held for a full uplink: /quit still acts
    s_update_interest (self);
    client_check_eof (self);
}

//  Show the owner each complete held line it has not seen yet, so /quit
//  does not wait behind a request in flight.
static void
s_scan_held (client_t *self)
{
    client_set_t *set = self->set;
    if (!set->events.on_held_line)
        return;
    const char *data = linebuf_data (&self->input);
    size_t size = linebuf_size (&self->input);
    size_t offset = MIN ((size_t) self->held_scanned, size);
    while (offset < size && !self->closing) {
        const char *end = (const char *) memchr (data + offset, '\n', size - offset);
        if (!end)
            break;
        size_t line_size = end - (data + offset);
        if (line_size > 0 && data [offset + line_size - 1] == '\r')
            line_size--;
        size_t next = end - data + 1;
        self->held_scanned = (uint32_t) next;
        if (line_size <= set->limits.max_line
        &&  set->events.on_held_line (set->owner, self, data + offset, line_size))
            break;
        offset = next;
    }
}

//  Input read while the owner holds the client's input: queue it, up to
//  hold_max bytes, whole lines only; drop the rest, and the line it
//  ends, so that the queue stays bounded and the socket is still read
//  (the peer's EOF is seen, however much it sent). Told once per spell.
static void
s_hold (client_t *self, char *data, size_t size)
{
    client_set_t *set = self->set;
    if (self->skip_line) {
        char *end = (char *) memchr (data, '\n', size);
        if (!end)
            return;
        self->skip_line = false;
        size -= end + 1 - data;
        data = end + 1;
    }
    size_t held = linebuf_size (&self->input);
    size_t room = set->limits.hold_max > held? set->limits.hold_max - held: 0;
    size_t take = size;
    if (take > room) {
        take = room;
        while (take > 0 && data [take - 1] != '\n')
            take--;         //  whole lines only
    }
    if (take > 0) {
        self->parsing = true;
        int rc = linebuf_feed (&self->input, data, take, set->limits.max_line, s_on_line, self);
        self->parsing = false;
        if (rc == -1 || rc == LINEBUF_STOP) {
            s_after_input (self, rc);
            return;
        }
    }
    if (take < size) {
        if (take == 0)
            linebuf_drop_partial (&self->input);    //  its rest is dropped here
        self->skip_line = data [size - 1] != '\n';
        if (!self->dropping) {
            self->dropping = true;
            char notice [CLIENT_NOTICE_MAX];
            int notice_size = snprintf (notice, sizeof (notice), CLIENT_DROPPED_FORMAT,
                                        set->limits.hold_max);
            client_write (self, notice, notice_size);
        }
    }
    s_scan_held (self);
    s_update_interest (self);
}

void
client_resume_input (client_t *self)
{
    if (self->parsing || self->closing || self->fd == -1)
        return;
    self->held_scanned = 0;
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
        self->bytes_in += (uint64_t) size;
        if (self->closing)
            return;             //  discarded: we only wait for EOF
        size_t kept = telnet_filter (&self->telnet, (uint8_t *) set->scratch, size,
                                     s_telnet_reply, self);
        if (kept == 0)
            return;
        if (self->paused) {
            s_hold (self, set->scratch, kept);
            return;
        }
        self->held_scanned = 0;
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
            s_peer_closed (self);
        else
        if (self->fin_sent)
            client_finish (self);
        else
            s_update_interest (self);
    }
    else
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (self->closing)
            client_finish (self);
        else {
            //  Reset: nothing more can be sent, but what it sent before
            //  still reaches the owner, as after an EOF
            self->peer_eof = true;
            s_peer_gone (self);
            s_peer_closed (self);
        }
    }
}

void
client_on_io (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    client_t *self = (client_t *) arg;
    if ((events & LOOP_PEER_CLOSED) && !s_can_read (self))
        s_peer_closed (self);           //  it left: what it sent gets the linger time
    if (events & (LOOP_READABLE | LOOP_ERROR)) {
        if (s_can_read (self))
            s_read (self);
        else
        if (events & LOOP_ERROR) {
            //  Hang-up or reset while we are not reading: dead if
            //  closing, else what it sent still waits for the owner
            if (self->closing)
                client_finish (self);
            else
                s_peer_gone (self);
        }
    }
    if (self->fd != -1 && (events & LOOP_WRITABLE) && self->want_write)
        client_flush (self);
}

//  --- the connect and close log lines -----------------------------------------

//  " addr=1.2.3.4:5678" or " addr=[::1]:5678" into buffer
//  (CLIENT_ADDRESS_MAX bytes), or "" when addresses are not logged.
static void
s_address_text (client_t *self, char *buffer)
{
    *buffer = 0;
    if (!self->set->limits.log_addresses)
        return;
    char host [INET6_ADDRSTRLEN] = "";
    const client_address_t *peer = &self->peer;
    if (peer->any.sa_family == AF_INET
    &&  inet_ntop (AF_INET, &peer->v4.sin_addr, host, sizeof (host)))
        snprintf (buffer, CLIENT_ADDRESS_MAX, " addr=%s:%u", host, ntohs (peer->v4.sin_port));
    else
    if (peer->any.sa_family == AF_INET6
    &&  inet_ntop (AF_INET6, &peer->v6.sin6_addr, host, sizeof (host)))
        snprintf (buffer, CLIENT_ADDRESS_MAX, " addr=[%s]:%u", host,
                  ntohs (peer->v6.sin6_port));
    else
        snprintf (buffer, CLIENT_ADDRESS_MAX, " addr=unknown");
}

//  One line per connection, and one per close (s_log_closed): lifecycle,
//  so at info level, never one per line.
void
client_log_connected (client_t *self)
{
    if (self->set->limits.log_addresses && self->peer.any.sa_family == AF_UNSPEC) {
        socklen_t size = sizeof (self->peer);
        if (getpeername (self->fd, &self->peer.any, &size) == -1)
            self->peer.any.sa_family = AF_UNSPEC;
    }
    char address [CLIENT_ADDRESS_MAX];
    s_address_text (self, address);
    zsys_info ("client: connected id=%" PRIu64 "%s", self->id, address);
}

//  A client closed for a limit (stuck output) is worth a warning.
static void
s_log_closed (client_t *self)
{
    char address [CLIENT_ADDRESS_MAX];
    s_address_text (self, address);
    client_close_reason_t reason = (client_close_reason_t) self->reason;
    if (reason == CLIENT_CLOSE_STUCK)
        zsys_warning ("client: closed id=%" PRIu64 "%s reason=%s bytes_in=%" PRIu64
                      " bytes_out=%" PRIu64, self->id, address,
                      client_close_reason_key (reason), self->bytes_in, self->bytes_out);
    else
        zsys_info ("client: closed id=%" PRIu64 "%s reason=%s bytes_in=%" PRIu64
                   " bytes_out=%" PRIu64, self->id, address,
                   client_close_reason_key (reason), self->bytes_in, self->bytes_out);
}

//  --- closing --------------------------------------------------------------

//  The peer can no longer receive (a send failed, or it hung up while its
//  input waited for the owner): drop our output, but keep what it sent
//  before (printf 'hi\n' | nc) for the owner; reading it ends in EOF,
//  which closes the client. A hang-up is reported even without interest,
//  so while its input waits the socket leaves the loop, and
//  s_update_interest brings it back when the owner takes input again.
static void
s_peer_gone (client_t *self)
{
    self->out_dead = true;
    self->want_write = false;
    self->skipped = 0;
    self->stuck_since = 0;
    client_set_stuck_remove (self);
    client_output_free (self);
    if (!s_can_read (self) && !self->unwatched) {
        loop_remove (self->set->loop, self->fd);
        self->unwatched = true;
    }
    s_update_interest (self);
}

//  The peer closed its side (or reset): answer what it asked before, as
//  a chat line sent just before is relayed (printf '/who\n' | nc -N).
//  The client leaves the idle list for the ending list, and closes once
//  the owner is done (client_check_eof) or when the linger time is up
//  (the set's tick), whichever is first; so held input left unprocessed
//  then is dropped, and a client that queued a flood is gone in bounded
//  time.
static void
s_peer_closed (client_t *self)
{
    client_set_t *set = self->set;
    if (self->closing)
        return;
    if (self->ending) {
        client_check_eof (self);        //  its FIN was seen early, now read
        return;
    }
    if (set->limits.linger_ms <= 0) {
        client_close (self, CLIENT_CLOSE_EOF);
        return;
    }
    client_set_unlink_open (self);
    client_list_append (&set->ending, self);
    self->ending = true;
    self->deadline = loop_now (set->loop) + set->limits.linger_ms;
    s_update_interest (self);
    client_check_eof (self);
}

void
client_check_eof (client_t *self)
{
    assert (self);
    //  Not before its EOF is read: a FIN seen early (LOOP_PEER_CLOSED)
    //  may have input before it still unread
    if (!self->ending || self->closing || self->parsing || !self->peer_eof
    ||  linebuf_held (&self->input))
        return;
    client_set_t *set = self->set;
    if (set->events.on_eof && !set->events.on_eof (set->owner, self))
        return;
    client_close (self, CLIENT_CLOSE_EOF);
}

//  Close the socket now. Unread input is read away first where possible,
//  since close () with unread input sends RST instead of FIN.
void
client_finish (client_t *self)
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
    if (self->flood_timer > 0) {
        loop_timer_cancel (set->loop, self->flood_timer);
        self->flood_timer = 0;
    }
    if (set->admission)
        admission_leave (set->admission, self->admission);
    self->admission = NULL;
    s_log_closed (self);
    client_output_free (self);
    client_set_stuck_remove (self);
    if (self->closing)
        client_list_remove (&set->closing, self);
    client_set_reap_add (self);
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
    client_set_stuck_remove (self);
    if (self->ending) {
        self->ending = false;
        client_list_remove (&set->ending, self);
    }
    else
        client_set_unlink_open (self);
    client_list_append (&set->closing, self);
    client_set_reap_add (self);
    self->deadline = loop_now (set->loop) + set->limits.linger_ms + CLIENT_FLUSH_GRACE_MS;
    if (reason == CLIENT_CLOSE_ERROR)
        client_finish (self);
    else {
        client_set_pending_add (self);   //  flush, then FIN, in this pass's hook
        s_update_interest (self);
    }
}

bool
client_is_closing (client_t *self)
{
    assert (self);
    return self->closing;
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
    self->dropping = false;
    if (linebuf_held (&self->input))
        client_resume_input (self);
    s_update_interest (self);
    client_check_eof (self);
}

uint64_t
client_skipped (client_t *self)
{
    assert (self);
    return self->skipped;
}

//  Indexed by client_close_reason_t: the text for people and the router,
//  and the log's one-word key.
static const struct {
    const char *text;
    const char *key;
} s_reasons [] = {
    [CLIENT_CLOSE_QUIT]     = { "quit", "quit" },
    [CLIENT_CLOSE_EOF]      = { "disconnected", "eof" },
    [CLIENT_CLOSE_ERROR]    = { "connection error", "error" },
    [CLIENT_CLOSE_IDLE]     = { "idle", "idle" },
    [CLIENT_CLOSE_STUCK]    = { "stuck", "stuck" },
    [CLIENT_CLOSE_DRAIN]    = { "server shutting down", "drain" },
    [CLIENT_CLOSE_SHUTDOWN] = { "gateway shut down", "shutdown" },
    [CLIENT_CLOSE_REFUSED]  = { "refused", "refused" },
    [CLIENT_CLOSE_TIMEOUT]  = { "timed out", "timeout" },
};
#define CLIENT_REASON_COUNT (sizeof (s_reasons) / sizeof (s_reasons [0]))

const char *
client_close_reason_text (client_close_reason_t reason)
{
    return (size_t) reason < CLIENT_REASON_COUNT? s_reasons [reason].text: "unknown";
}

const char *
client_close_reason_key (client_close_reason_t reason)
{
    return (size_t) reason < CLIENT_REASON_COUNT? s_reasons [reason].key: "unknown";
}

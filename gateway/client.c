/*  =========================================================================
    client.c - one client connection: bytes in, lines out, bounded output

    Implements client.h, with client_input.c (the input side: reads,
    held lines, flood control). Only a partial or held line is copied
    into per-client memory, so an idle client owns no buffers at all.

    Output, as in redis: client_write is a memcpy into the client's queue
    and an append to the set's pending list. A late loop hook flushes every
    pending client with one send; only when the kernel buffer is full does
    the client ask the loop for writability. The queue itself is outbuf.c:
    a grown queue keeps its memory while the client keeps getting output
    (a busy room refills it every pass, and freeing it on every drain cost
    a realloc, a free and page faults per client per pass); the set's
    keep timer gives it back once it has stayed empty for a while.

    Room traffic skips even that copy: a room line is copied once into the
    set's pass buffer (client_set_share), and a client with an empty queue
    only records the range of shared lines it is owed (consecutive lines
    make one range). Its flush sends straight from the pass buffer; what
    the kernel does not take is copied into the queue then, before the
    buffer is reused. A copied line behind shared ones first moves them
    into the queue, so the queue always holds the oldest bytes last. So a
    room of N members costs one copy per line, and a member that reads in
    time owns no output memory at all.

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
#include "gateway_metrics.h"
#include <sys/ioctl.h>
#include <linux/sockios.h>


#define CLIENT_FLUSH_GRACE_MS   1000        //  flush time allowed on top of linger
#define CLIENT_DRAIN_READS      16          //  reads to empty input before close
#define CLIENT_DRAIN_SIZE       4096        //  stack buffer for those reads

#define CLIENT_LAGGED_FORMAT    "! lagged: %" PRIu64 " messages skipped\r\n"
#define CLIENT_ADDRESS_MAX      (INET6_ADDRSTRLEN + 16)     //  " addr=[v6]:port"


//  --- output ---------------------------------------------------------------

//  Append bytes to the queue, ignoring the cap. Returns 0 or -1.
static int
s_output_append (client_t *self, const char *data, size_t size)
{
    if (outbuf_append (&self->output, self->set->outbufs, data, size))
        return -1;
    GATEWAY_ADD (GATEWAY_METRIC_OUTPUT_BYTES, size);
    client_set_pending_add (self);
    return 0;
}

void
client_output_free (client_t *self)
{
    GATEWAY_SUB (GATEWAY_METRIC_OUTPUT_BYTES, outbuf_used (&self->output) + self->shared_size);
    self->shared_size = 0;
    outbuf_free (&self->output, self->set->outbufs);
}

//  Shared lines from offset (size bytes of them) into the client's own
//  queue, already counted in the output bytes; a copy that finds no
//  memory loses them, told as skipped lines.
static void
s_unshare_from (client_t *self, uint32_t offset, uint32_t size)
{
    self->shared_size = 0;
    if (outbuf_append (&self->output, self->set->outbufs, self->set->shared + offset, size)) {
        GATEWAY_SUB (GATEWAY_METRIC_OUTPUT_BYTES, size);
        self->skipped++;
        GATEWAY_COUNT (GATEWAY_METRIC_SKIPPED);
    }
}

void
client_unshare (client_t *self)
{
    if (self->shared_size)
        s_unshare_from (self, self->shared_offset, self->shared_size);
}

//  True when size more bytes fit under the cap (ours plus the kernel's).
static bool
s_output_fits (client_t *self, size_t size)
{
    size_t used = outbuf_used (&self->output) + self->shared_size + self->kernel_queued;
    return used + size <= self->set->limits.outbuf_max;
}

//  A line did not fit: count it for the lag notice, and close a client
//  that stays full for the stuck timeout. Returns -1.
static int
s_output_refused (client_t *self)
{
    self->skipped++;
    GATEWAY_COUNT (GATEWAY_METRIC_SKIPPED);
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

int
client_write (client_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->closing || self->out_dead)
        return -1;
    if (!s_output_fits (self, size))
        return s_output_refused (self);
    client_unshare (self);          //  its shared lines go first
    if (s_output_append (self, data, size))
        return s_output_refused (self);
    return 0;
}

int
client_write_shared (client_t *self, const client_shared_t *shared)
{
    assert (self);
    assert (shared);
    if (self->closing || self->out_dead)
        return -1;
    if (!s_output_fits (self, shared->size))
        return s_output_refused (self);
    if (outbuf_used (&self->output) > 0
    ||  (self->shared_size && self->shared_offset + self->shared_size != shared->offset))
        return client_write (self, self->set->shared + shared->offset, shared->size);
    if (!self->shared_size)
        self->shared_offset = shared->offset;
    self->shared_size += shared->size;
    GATEWAY_ADD (GATEWAY_METRIC_OUTPUT_BYTES, shared->size);
    client_set_pending_add (self);
    return 0;
}

const char *
client_transport_name (client_t *self)
{
    assert (self);
    return self->transport->name;
}

unsigned
client_transport_flags (client_t *self)
{
    assert (self);
    return self->transport->flags;
}

void
client_wake_output (client_t *self)
{
    assert (self);
    if (self->fd != -1 && !self->out_dead)
        client_set_pending_add (self);
}

//  Queue a notice that must not be lost (lag, idle): over the cap too.
void
client_notice (client_t *self, const char *text, size_t size)
{
    if (self->out_dead)
        return;
    client_unshare (self);
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
    client_update_interest (self);
}

//  The peer is gone: nothing more can be sent.
static void
s_send_failed (client_t *self)
{
    if (self->closing)
        client_finish (self);
    else
        client_peer_gone (self);
}

//  Output the transport took but has not sent yet (a framed line).
static size_t
s_unsent (client_t *self)
{
    return self->transport->unsent? self->transport->unsent (self->transport_state): 0;
}

//  Push the transport's unsent bytes: 0 when some went, else -1 when the
//  client now waits for writability or is gone.
static int
s_push_unsent (client_t *self)
{
    size_t before = s_unsent (self);
    if (self->transport->write (self->transport_state, self->fd, NULL, 0) == -1
    &&  errno != EAGAIN && errno != EWOULDBLOCK) {
        s_send_failed (self);
        return -1;
    }
    if (s_unsent (self) < before)
        return 0;
    s_kernel_full (self);
    return -1;
}

//  Close the write side the transport's way (TLS close_notify, WebSocket
//  close frame, then FIN): 0 when done, -1 when it waits for
//  writability (or the peer is gone, and the client finished).
static int
s_shutdown (client_t *self)
{
    if (self->transport->shutdown (self->transport_state, self->fd, self->reason) == 0)
        return 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        s_kernel_full (self);
    else
        client_finish (self);
    return -1;
}

//  Sent bytes leave the output.
static void
s_output_sent (client_t *self, size_t sent)
{
    self->bytes_out += (uint64_t) sent;
    GATEWAY_ADD (GATEWAY_METRIC_BYTES_OUT, (uint64_t) sent);
    GATEWAY_SUB (GATEWAY_METRIC_OUTPUT_BYTES, (uint64_t) sent);
}

//  Send the shared lines straight from the pass buffer: 0 when all went,
//  else -1 with the rest copied into the queue and the client waiting for
//  writability (or gone).
static int
s_flush_shared (client_t *self)
{
    uint32_t offset = self->shared_offset;
    uint32_t size = self->shared_size;
    ssize_t sent = self->transport->write (self->transport_state, self->fd,
                                           self->set->shared + offset, size);
    if (sent == (ssize_t) size) {
        self->shared_size = 0;
        s_output_sent (self, size);
        return 0;
    }
    if (sent == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
        s_send_failed (self);
        return -1;
    }
    if (sent > 0) {
        s_output_sent (self, (size_t) sent);
        offset += (uint32_t) sent;
        size -= (uint32_t) sent;
    }
    s_unshare_from (self, offset, size);
    s_kernel_full (self);
    return -1;
}

//  Send what is queued: one send, as in redis. On a full kernel buffer ask
//  for writability; when drained, tell of skipped lines, or send FIN when
//  closing.
void
client_flush (client_t *self)
{
    client_set_t *set = self->set;
    if (self->shared_size && (self->fd == -1 || s_flush_shared (self)))
        return;
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
                GATEWAY_COUNT (GATEWAY_METRIC_LAGGED);
                client_notice (self, notice, size);
                continue;
            }
            if (s_unsent (self) > 0) {
                if (s_push_unsent (self))
                    return;
                continue;
            }
            self->want_write = false;
            if (self->closing && !self->fin_sent) {
                if (s_shutdown (self))
                    return;
                self->fin_sent = true;
                self->deadline = loop_now (set->loop) + set->limits.linger_ms;
                if (self->peer_eof || set->limits.linger_ms <= 0) {
                    client_finish (self);
                    return;
                }
            }
            client_update_interest (self);
            return;
        }
        ssize_t sent = self->transport->write (self->transport_state, self->fd,
                                               outbuf_head (&self->output), used);
        if (sent > 0) {
            s_output_sent (self, (size_t) sent);
            outbuf_consume (&self->output, (size_t) sent);
            if ((size_t) sent == used)
                continue;
            //  A short send means the kernel buffer is full: wait for it
            s_kernel_full (self);
            return;
        }
        if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_kernel_full (self);
            return;
        }
        s_send_failed (self);
        return;
    }
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
//  client_update_interest brings it back when the owner takes input again.
void
client_peer_gone (client_t *self)
{
    self->out_dead = true;
    self->want_write = false;
    self->skipped = 0;
    self->stuck_since = 0;
    client_set_stuck_remove (self);
    client_output_free (self);
    if (!client_can_read (self) && !self->unwatched) {
        loop_remove (self->set->loop, self->fd);
        self->unwatched = true;
    }
    client_update_interest (self);
}

//  The peer closed its side (or reset): answer what it asked before, as
//  a chat line sent just before is relayed (printf '/who\n' | nc -N).
//  The client leaves the idle list for the ending list, and closes once
//  the owner is done (client_check_eof) or when the linger time is up
//  (the set's tick), whichever is first; so held input left unprocessed
//  then is dropped, and a client that queued a flood is gone in bounded
//  time.
void
client_peer_closed (client_t *self)
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
    client_update_interest (self);
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
    if (self->transport->destroy)
        self->transport->destroy (self->transport_state);
    self->transport_state = NULL;
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
    GATEWAY_COUNT (GATEWAY_METRIC_CLOSED_QUIT + (reason - CLIENT_CLOSE_QUIT));
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
        client_update_interest (self);
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
    client_update_interest (self);
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
    client_update_interest (self);
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

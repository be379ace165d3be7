/*  =========================================================================
    client_input.c - one client's input: read, hold, throttle, hand out lines

    The input half of client.h (client.c has output and closing). One read
    per readiness into the set's scratch buffer, telnet filtering in place,
    lines handed to the owner straight from there (linebuf.c), checked by
    text.c. A line the owner cannot take now is held, and the socket is
    then not read (TCP pushes back), except while a request is in flight
    (paused: read into a queue of at most --hold-max) so /quit and the
    peer's FIN are seen. Flood control (flood.h) holds a line the same
    way until a one-shot timer brings its token; while input is not read
    the client watches for the peer's FIN (LOOP_PEER_CLOSED).
    =========================================================================
*/
#include "client_private.h"
#include "text.h"
#include "gateway_metrics.h"

_Static_assert (TELNET_EC_DATA == LINEBUF_ERASE_DEL && TELNET_EL_DATA == LINEBUF_ERASE_LINE,
                "telnet's EC and EL must become the bytes linebuf erases with");

#define CLIENT_TOO_LONG_FORMAT  "! line too long (max %zu bytes), discarded\r\n"
#define CLIENT_CONTROL_NOTICE   "! line rejected: control characters are not allowed\r\n"
#define CLIENT_UTF8_NOTICE      "! line rejected: invalid UTF-8\r\n"
#define CLIENT_DROPPED_FORMAT   "! too much input while waiting for the server " \
                                "(over %zu bytes): lines dropped\r\n"
#define CLIENT_SLOW_NOTICE      "! slow down: you are sending too fast " \
                                "(your lines are delayed, none is lost)\r\n"

//  A paused client is read on (into its bounded queue, see s_hold)
//  when hold_max allows; one held only for a full uplink is not, so the
//  kernel's TCP window pushes back on it and nothing it sent is dropped.
bool
client_can_read (client_t *self)
{
    if (self->fd == -1 || self->peer_eof)
        return false;
    if (self->closing || (!self->paused && !linebuf_held (&self->input)))
        return true;
    //  Under flood control a paused client is read only up to hold_max
    //  (s_read_size): the rest waits in the kernel, never dropped, while a
    //  /quit among what was read still acts at once
    if (flood_enabled (&self->set->limits.flood)
    &&  linebuf_size (&self->input) >= self->set->limits.hold_max)
        return false;
    return self->paused && self->set->limits.hold_max > 0;
}

//  How much one read may take: all the scratch buffer holds, but for a
//  paused client under flood control no more than its queue has room for.
static size_t
s_read_size (client_t *self)
{
    size_t held = linebuf_size (&self->input);
    size_t hold_max = self->set->limits.hold_max;
    if (!self->paused || !flood_enabled (&self->set->limits.flood) || self->closing)
        return CLIENT_READ_SIZE;
    return MIN ((size_t) CLIENT_READ_SIZE, hold_max > held? hold_max - held: 0);
}

//  Input inside the transport (a TLS record already decrypted) does not
//  make the socket readable: read it at the end of the pass, or a client
//  paused with it there would never wake (libevent #854).
static void
s_check_pending (client_t *self)
{
    if (self->read_ready || !self->transport->pending || self->fd == -1
    ||  !client_can_read (self) || self->transport->pending (self->transport_state) == 0)
        return;
    self->read_ready = true;
    client_set_pending_add (self);
}

void
client_update_interest (client_t *self)
{
    if (self->fd == -1)
        return;
    if (self->unwatched) {
        if (!client_can_read (self))
            return;
        self->unwatched = false;
        if (loop_add (self->set->loop, self->fd, LOOP_READABLE, client_on_io, self))
            client_close (self, CLIENT_CLOSE_ERROR);
        return;
    }
    int interest = 0;
    if (client_can_read (self))
        interest |= LOOP_READABLE;
    else
    if (!self->peer_eof && !self->ending && !self->closing)
        interest |= LOOP_PEER_CLOSED;   //  its FIN, behind input we do not read now
    if (self->want_write)
        interest |= LOOP_WRITABLE;
    if (self->transport->interest)
        interest = self->transport->interest (self->transport_state, interest);
    loop_set_interest (self->set->loop, self->fd, interest);
    s_check_pending (self);
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
    if (self->set->limits.telnet_offer && (self->transport->flags & TRANSPORT_OFFER))
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
//  line stays held and the socket unread (client_can_read).
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
    GATEWAY_COUNT (GATEWAY_METRIC_THROTTLED);
    if (flood_tell (&self->flood)) {
        GATEWAY_COUNT (GATEWAY_METRIC_THROTTLES);
        client_notice (self, CLIENT_SLOW_NOTICE, strlen (CLIENT_SLOW_NOTICE));
    }
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
    GATEWAY_COUNT (GATEWAY_METRIC_LINES_RECEIVED);
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
    client_update_interest (self);
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

//  Line ends in data: the dropped lines a hold counts (each at its end,
//  so a line dropped across reads counts once).
static uint64_t
s_count_line_ends (const char *data, size_t size)
{
    uint64_t count = 0;
    for (const char *end = data; (end = (const char *) memchr (end, '\n', size - (end - data)));
         end++)
        count++;
    return count;
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
        GATEWAY_COUNT (GATEWAY_METRIC_HELD_DROPPED);
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
        GATEWAY_ADD (GATEWAY_METRIC_HELD_DROPPED, s_count_line_ends (data + take, size - take));
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
    client_update_interest (self);
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
    size_t wanted = s_read_size (self);
    if (wanted == 0)
        return;
    ssize_t size = self->transport->read (self->transport_state, self->fd, set->scratch, wanted);

    if (size > 0) {
        self->bytes_in += (uint64_t) size;
        GATEWAY_ADD (GATEWAY_METRIC_BYTES_IN, (uint64_t) size);
        if (self->closing)
            return;             //  discarded: we only wait for EOF
        size_t kept = (size_t) size;
        if (self->transport->flags & TRANSPORT_TELNET)
            kept = telnet_filter (&self->telnet, (uint8_t *) set->scratch, kept,
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
            client_peer_closed (self);
        else
        if (self->fin_sent)
            client_finish (self);
        else
            client_update_interest (self);
    }
    else
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        //  A transport's read may wait for the other direction (TLS:
        //  writability), which its interest hook adds
        if (self->transport->interest)
            client_update_interest (self);
    }
    else {
        if (self->closing)
            client_finish (self);
        else {
            //  Reset: nothing more can be sent, but what it sent before
            //  still reaches the owner, as after an EOF
            self->peer_eof = true;
            client_peer_gone (self);
            client_peer_closed (self);
        }
    }
}

void
client_on_io (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    client_t *self = (client_t *) arg;
    if (self->transport->events)
        events = self->transport->events (self->transport_state, events);
    if ((events & LOOP_PEER_CLOSED) && !client_can_read (self))
        client_peer_closed (self);           //  it left: what it sent gets the linger time
    if (events & (LOOP_READABLE | LOOP_ERROR)) {
        if (client_can_read (self))
            s_read (self);
        else
        if (events & LOOP_ERROR) {
            //  Hang-up or reset while we are not reading: dead if
            //  closing, else what it sent still waits for the owner
            if (self->closing)
                client_finish (self);
            else
                client_peer_gone (self);
        }
    }
    if (self->fd != -1 && (events & LOOP_WRITABLE) && self->want_write)
        client_flush (self);
    if (self->fd != -1)
        s_check_pending (self);
}

void
client_read_pending (client_t *self)
{
    self->read_ready = false;
    if (self->fd != -1 && client_can_read (self))
        s_read (self);
    if (self->fd != -1)
        s_check_pending (self);
}

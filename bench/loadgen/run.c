/*  =========================================================================
    run.c - the phases and the event loop of one benchmark run

    Connection j of N goes to room j mod R as that room's member j div R,
    and connects to server (gateway) (member + room) mod G, so every room
    spans the gateways and even rooms of two load all of them. The run has four phases:
      join      connect (at --connect-rate), log in, join the room, wait
                for our own join notice
      barrier   the first two members of each room send probes until every
                member has received one: from then on the room is known to
                route, whatever the server's subscription delays
      measured  senders send marked messages (open loop: a fixed rate;
                closed loop: at most W messages not yet received by every
                member); server CPU is sampled at both ends
      drain     no more sending; wait for the stragglers, then count
    Everything runs on one thread over one epoll set; output is coalesced
    per connection and flushed once per loop pass.
    =========================================================================
*/
#include "loadgen.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define RUN_EVENTS_MAX          1024
#define RUN_READ_CHUNK          (256 * 1024)
#define RUN_READS_PER_WAKE      4       //  reads per connection per wake-up
#define RUN_TICK_MS             1       //  longest epoll wait while working
#define RUN_PROBE_INTERVAL_NS   (500 * LOADGEN_NS_PER_MS)
#define RUN_FLIGHT_TIMEOUT_NS   (2 * LOADGEN_NS_PER_S)
#define RUN_PROGRESS_NS         LOADGEN_NS_PER_S
#define RUN_CATCHUP_MAX         4       //  overdue open-loop messages per sender per pass
#define RUN_NOFILE_SPARE        64      //  descriptors beyond one per connection
#define RUN_LINE_MAX            (CHAT_LINE_MAX + MARKER_MAX)
#define RUN_PROBERS             2       //  members per room that send probes
#define RUN_SOURCE_BASE         0x7f000001  //  127.0.0.1
#define RUN_PERCENTILES         4
#define RUN_RANDOM_SEED         20240601u

static const double s_percentiles [RUN_PERCENTILES] = { 50.0, 90.0, 99.0, 99.9 };

typedef struct {
    uint32_t member_count;  //  members: connections room + m * rooms
    uint32_t sender_count;  //  members 0 .. sender_count - 1 send
    uint32_t ready;         //  members past the barrier and still there
} room_t;

typedef struct {
    const run_options_t *options;
    run_result_t *result;
    int epoll_fd;
    conn_t *conns;
    room_t *rooms;
    struct sockaddr_in *servers;
    uint32_t *dirty;        //  connections with output to write this pass
    size_t dirty_count;
    uint32_t *senders;      //  connections that send in the measured phase
    size_t sender_count;
    char *buffer;           //  shared read buffer
    char *text;             //  message text: marker + padding
    char *line;             //  one outgoing line
    histogram_t *latency;
    uint64_t now;           //  loadgen_now (), refreshed per read and per pass
    uint64_t window_end;    //  end of the measured window (0 before it)
    uint32_t next_connect;  //  next connection to open
    uint32_t pending;       //  connections between connect and joined
    uint32_t waiting;       //  connections joined but not yet probed
    unsigned int seed;      //  rand_r state for open-loop phases
} run_t;

uint64_t
loadgen_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (uint64_t) now.tv_sec * LOADGEN_NS_PER_S + (uint64_t) now.tv_nsec;
}

static void
s_progress (run_t *self, const char *phase)
{
    if (self->options->quiet)
        return;
    run_result_t *result = self->result;
    fprintf (stderr, "loadgen: %s %s connected=%" PRIu32 " joined=%" PRIu32
             " ready=%" PRIu32 " failed=%" PRIu32 " sent=%" PRIu64 " delivered=%" PRIu64 "\n",
             self->options->label, phase, result->connected, result->joined, result->ready,
             result->failed_connect + result->failed_login + result->failed_barrier
             + result->failed_later + result->timed_out,
             result->messages_sent, result->delivered);
}

static void
s_note_error (run_t *self, const char *line, size_t length)
{
    if (self->result->first_error [0])
        return;
    size_t size = sizeof (self->result->first_error) - 1;
    if (length < size)
        size = length;
    memcpy (self->result->first_error, line, size);
    self->result->first_error [size] = 0;
}

//  Give up on a connection: close it and count why. counter is the
//  result field to bump.
static void
s_fail (run_t *self, conn_t *conn, uint32_t *counter)
{
    if (conn->state == CONN_FAILED)
        return;
    if (conn->state == CONN_CONNECTING || conn->state == CONN_LOGIN
    ||  conn->state == CONN_JOINING)
        self->pending--;
    if (conn->state == CONN_JOINED)
        self->waiting--;
    if (conn->state == CONN_READY)
        self->rooms [conn->room].ready--;
    conn_close (conn);
    conn->state = CONN_FAILED;
    (*counter)++;
}

//  Counter for a connection that fails in its current state.
static uint32_t *
s_counter_for (run_t *self, conn_t *conn)
{
    run_result_t *result = self->result;
    switch (conn->state) {
        case CONN_CONNECTING: return &result->failed_connect;
        case CONN_JOINED:     return &result->failed_barrier;
        case CONN_READY:      return &result->failed_later;
        default:              return &result->failed_login;
    }
}

static void
s_queue (run_t *self, conn_t *conn, const char *data, size_t size)
{
    if (conn->fd < 0)
        return;
    if (conn_queue (conn, data, size)) {
        s_note_error (self, "loadgen: output buffer full", strlen ("loadgen: output buffer full"));
        s_fail (self, conn, s_counter_for (self, conn));
        return;
    }
    if (!conn->dirty) {
        conn->dirty = true;
        self->dirty [self->dirty_count++] = conn->index;
    }
}

static void
s_set_interest (run_t *self, conn_t *conn, bool want_output)
{
    struct epoll_event event = { .events = EPOLLIN | (want_output? EPOLLOUT: 0) };
    event.data.u32 = conn->index;
    epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, conn->fd, &event);
    conn->want_output = want_output;
}

//  Write every connection's pending output once (the coalesced flush).
static void
s_flush_dirty (run_t *self)
{
    for (size_t index = 0; index < self->dirty_count; index++) {
        conn_t *conn = &self->conns [self->dirty [index]];
        conn->dirty = false;
        if (conn->fd < 0 || conn->state == CONN_CONNECTING)
            continue;
        int rc = conn_flush (conn);
        if (rc < 0)
            s_fail (self, conn, s_counter_for (self, conn));
        else
        if (rc > 0 && !conn->want_output)
            s_set_interest (self, conn, true);
    }
    self->dirty_count = 0;
}

static void
s_set_ready (run_t *self, conn_t *conn)
{
    if (conn->state != CONN_JOINED)
        return;
    conn->state = CONN_READY;
    conn->was_ready = true;
    self->waiting--;
    self->rooms [conn->room].ready++;
    self->result->ready++;
}

//  Closed loop: move the window past every settled message.
static void
s_advance (conn_t *sender, uint32_t window)
{
    while (sender->acked < sender->sent
       &&  sender->flights [(sender->acked + 1) % window].remaining == 0)
        sender->acked++;
}

static void
s_on_message (run_t *self, conn_t *conn, conn_t *sender, const marker_t *marker)
{
    run_result_t *result = self->result;
    if (!conn->tracks || sender->sender_slot < 0 || marker->seq > sender->sent) {
        result->misrouted++;
        return;
    }
    track_result_t outcome = track_record (&conn->tracks [sender->sender_slot], marker->seq);
    if (outcome == TRACK_INVALID) {
        result->misrouted++;
        return;
    }
    if (outcome == TRACK_DUPLICATE) {
        result->duplicated++;
        return;
    }
    if (outcome == TRACK_LATE)
        result->out_of_order++;
    result->delivered++;
    histogram_record (self->latency, self->now > marker->sent_ns? self->now - marker->sent_ns: 0);
    if (self->now <= self->window_end)
        result->window_deliveries++;
    if (sender->flights) {
        uint32_t window = self->options->window;
        flight_t *flight = &sender->flights [marker->seq % window];
        if (flight->seq == marker->seq && flight->remaining > 0
        &&  --flight->remaining == 0)
            s_advance (sender, window);
    }
}

static void
s_on_marker (run_t *self, conn_t *conn, const marker_t *marker)
{
    const run_options_t *options = self->options;
    if (marker->room >= options->rooms || marker->sender >= options->clients) {
        self->result->misrouted++;
        return;
    }
    conn_t *sender = &self->conns [marker->sender];
    if (marker->room != conn->room || sender->room != marker->room || sender == conn) {
        self->result->misrouted++;
        return;
    }
    if (marker->type == MARKER_PROBE)
        s_set_ready (self, conn);
    else
        s_on_message (self, conn, sender, marker);
}

//  One complete line from the server (line end removed).
static void
s_on_line (run_t *self, conn_t *conn, const char *line, size_t length)
{
    marker_t marker;
    if ((conn->state == CONN_JOINED || conn->state == CONN_READY)
    &&  marker_find (line, length, &marker) == 0) {
        s_on_marker (self, conn, &marker);
        return;
    }
    char reply [RUN_LINE_MAX];
    dialect_line_t kind = dialect_classify (self->options->dialect, line, length, conn->nick,
                                            conn->room, reply, sizeof (reply));
    if (kind == DIALECT_LINE_PING)
        s_queue (self, conn, reply, strlen (reply));
    else
    if (kind == DIALECT_LINE_WELCOME && conn->state == CONN_LOGIN) {
        int size = dialect_join (self->options->dialect, conn->room, reply, sizeof (reply));
        assert (size > 0);
        conn->state = CONN_JOINING;
        s_queue (self, conn, reply, (size_t) size);
    }
    else
    if (kind == DIALECT_LINE_JOINED && conn->state == CONN_JOINING) {
        conn->state = CONN_JOINED;
        self->pending--;
        self->waiting++;
        self->result->joined++;
    }
    else
    if (kind == DIALECT_LINE_ERROR) {
        s_note_error (self, line, length);
        if (conn->state == CONN_LOGIN || conn->state == CONN_JOINING)
            s_fail (self, conn, &self->result->failed_login);
        else
            self->result->server_warnings++;
    }
}

//  Split data into lines, keeping a partial last line in the connection.
static void
s_consume (run_t *self, conn_t *conn, const char *data, size_t size)
{
    if (conn->input_used) {
        if (conn->input_used + size > CONN_INPUT_MAX) {
            s_note_error (self, "loadgen: line too long", strlen ("loadgen: line too long"));
            s_fail (self, conn, s_counter_for (self, conn));
            return;
        }
        char *input = (char *) realloc (conn->input, conn->input_used + size);
        assert (input);
        memcpy (input + conn->input_used, data, size);
        conn->input = input;
        conn->input_used += size;
        data = input;
        size = conn->input_used;
    }
    const char *cursor = data;
    const char *end = data + size;
    while (cursor < end && conn->fd >= 0) {
        const char *newline = (const char *) memchr (cursor, '\n', (size_t) (end - cursor));
        if (!newline)
            break;
        size_t length = (size_t) (newline - cursor);
        if (length > 0 && cursor [length - 1] == '\r')
            length--;
        s_on_line (self, conn, cursor, length);
        cursor = newline + 1;
    }
    if (conn->fd < 0)
        return;     //  failed while handling a line; buffers are gone
    size_t rest = (size_t) (end - cursor);
    if (rest == 0) {
        free (conn->input);
        conn->input = NULL;
        conn->input_used = 0;
    }
    else
    if (data == conn->input) {
        memmove (conn->input, cursor, rest);
        conn->input_used = rest;
    }
    else {
        conn->input = (char *) malloc (rest);
        assert (conn->input);
        memcpy (conn->input, cursor, rest);
        conn->input_used = rest;
    }
}

static void
s_on_readable (run_t *self, conn_t *conn)
{
    for (int reads = 0; reads < RUN_READS_PER_WAKE && conn->fd >= 0; reads++) {
        ssize_t size = recv (conn->fd, self->buffer, RUN_READ_CHUNK, 0);
        if (size > 0) {
            self->now = loadgen_now ();
            s_consume (self, conn, self->buffer, (size_t) size);
            if (size < RUN_READ_CHUNK)
                break;
        }
        else
        if (size < 0 && errno == EINTR)
            continue;
        else
        if (size < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        else {
            if (!self->result->first_error [0]) {
                const char *what = size == 0? "server closed a connection": strerror (errno);
                s_note_error (self, what, strlen (what));
            }
            s_fail (self, conn, s_counter_for (self, conn));
        }
    }
}

static void
s_on_connected (run_t *self, conn_t *conn)
{
    int error = 0;
    socklen_t length = sizeof (error);
    if (getsockopt (conn->fd, SOL_SOCKET, SO_ERROR, &error, &length) || error) {
        const char *what = strerror (error? error: errno);
        s_note_error (self, what, strlen (what));
        s_fail (self, conn, &self->result->failed_connect);
        return;
    }
    conn->state = CONN_LOGIN;
    self->result->connected++;
    s_set_interest (self, conn, false);
    char hello [RUN_LINE_MAX];
    int size = dialect_hello (self->options->dialect, conn->index, conn->nick, hello,
                              sizeof (hello));
    assert (size >= 0);
    if (size > 0)
        s_queue (self, conn, hello, (size_t) size);
}

//  Open connection index (non-blocking); it completes in the loop.
static void
s_start_connect (run_t *self, conn_t *conn)
{
    const run_options_t *options = self->options;
    conn->state = CONN_CONNECTING;
    self->pending++;
    conn->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn->fd < 0) {
        const char *what = strerror (errno);
        s_note_error (self, what, strlen (what));
        s_fail (self, conn, &self->result->failed_connect);
        return;
    }
    int on = 1;
    setsockopt (conn->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof (on));
    if (options->sources > 1) {
        //  Spread source addresses so ephemeral ports never run out; let
        //  connect() pick the port (IP_BIND_ADDRESS_NO_PORT).
        setsockopt (conn->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof (on));
        struct sockaddr_in source = { .sin_family = AF_INET };
        source.sin_addr.s_addr = htonl (RUN_SOURCE_BASE + conn->index % options->sources);
        if (bind (conn->fd, (struct sockaddr *) &source, sizeof (source))) {
            const char *what = strerror (errno);
            s_note_error (self, what, strlen (what));
            s_fail (self, conn, &self->result->failed_connect);
            return;
        }
    }
    struct sockaddr_in *server = &self->servers [conn->server];
    if (connect (conn->fd, (struct sockaddr *) server, sizeof (*server))
    &&  errno != EINPROGRESS) {
        const char *what = strerror (errno);
        s_note_error (self, what, strlen (what));
        s_fail (self, conn, &self->result->failed_connect);
        return;
    }
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT };
    event.data.u32 = conn->index;
    epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, conn->fd, &event);
    conn->want_output = true;
}

//  One loop pass: flush, wait up to timeout_ms, handle events, flush.
static void
s_pass (run_t *self, int timeout_ms)
{
    s_flush_dirty (self);
    struct epoll_event events [RUN_EVENTS_MAX];
    int count = epoll_wait (self->epoll_fd, events, RUN_EVENTS_MAX, timeout_ms);
    self->now = loadgen_now ();
    for (int index = 0; index < count; index++) {
        conn_t *conn = &self->conns [events [index].data.u32];
        if (conn->fd < 0)
            continue;
        if (conn->state == CONN_CONNECTING) {
            s_on_connected (self, conn);
            continue;
        }
        if (events [index].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            s_on_readable (self, conn);
        if (conn->fd >= 0 && (events [index].events & EPOLLOUT)) {
            int rc = conn_flush (conn);
            if (rc < 0)
                s_fail (self, conn, s_counter_for (self, conn));
            else
            if (rc == 0)
                s_set_interest (self, conn, false);
        }
    }
    s_flush_dirty (self);
}

//  Queue one line carrying text made of the marker and padding.
static void
s_send_marked (run_t *self, conn_t *conn, const marker_t *marker)
{
    int length = marker_format (self->text, MARKER_MAX, marker);
    assert (length > 0);
    size_t text_size = self->options->size > (uint32_t) length? self->options->size: (size_t) length;
    memset (self->text + length, 'x', text_size - (size_t) length);
    int size = dialect_say (self->options->dialect, conn->room, self->text, text_size,
                            self->line, RUN_LINE_MAX);
    assert (size > 0);
    s_queue (self, conn, self->line, (size_t) size);
}

static void
s_send_message (run_t *self, conn_t *conn)
{
    marker_t marker = { .type = MARKER_MESSAGE, .room = conn->room, .sender = conn->index,
                        .seq = ++conn->sent, .sent_ns = self->now };
    self->result->messages_sent++;
    if (conn->flights) {
        uint32_t window = self->options->window;
        flight_t *flight = &conn->flights [marker.seq % window];
        flight->seq = marker.seq;
        flight->sent_ns = self->now;
        flight->remaining = self->rooms [conn->room].ready - 1;
        if (flight->remaining == 0)
            s_advance (conn, window);
    }
    s_send_marked (self, conn, &marker);
}

// ---------------------------------------------------------------------------
//  Phases

static int
s_setup (run_t *self)
{
    const run_options_t *options = self->options;
    self->servers = (struct sockaddr_in *) calloc (options->server_count, sizeof (struct sockaddr_in));
    for (size_t index = 0; index < options->server_count; index++) {
        char host [INET_ADDRSTRLEN + 1];
        const char *colon = strrchr (options->servers [index], ':');
        size_t host_size = colon? (size_t) (colon - options->servers [index]): 0;
        if (!colon || host_size == 0 || host_size >= sizeof (host)) {
            fprintf (stderr, "loadgen: bad server address '%s' (want HOST:PORT)\n",
                     options->servers [index]);
            return -1;
        }
        memcpy (host, options->servers [index], host_size);
        host [host_size] = 0;
        self->servers [index].sin_family = AF_INET;
        self->servers [index].sin_port = htons ((uint16_t) atoi (colon + 1));
        if (inet_pton (AF_INET, host, &self->servers [index].sin_addr) != 1) {
            fprintf (stderr, "loadgen: bad server address '%s'\n", options->servers [index]);
            return -1;
        }
    }
    //  One descriptor per connection: raise the soft limit (and the hard
    //  one when we may).
    struct rlimit limit;
    rlim_t wanted = (rlim_t) options->clients + RUN_NOFILE_SPARE;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < wanted) {
        if (limit.rlim_max < wanted) {
            struct rlimit raised = { wanted, wanted };
            if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
                limit = raised;
        }
        limit.rlim_cur = limit.rlim_max < wanted? limit.rlim_max: wanted;
        setrlimit (RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < wanted)
            fprintf (stderr, "loadgen: warning: fd limit %lu < %lu needed\n",
                     (unsigned long) limit.rlim_cur, (unsigned long) wanted);
    }
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (self->epoll_fd < 0) {
        perror ("loadgen: epoll_create1");
        return -1;
    }
    self->conns = (conn_t *) calloc (options->clients, sizeof (conn_t));
    self->rooms = (room_t *) calloc (options->rooms, sizeof (room_t));
    self->dirty = (uint32_t *) calloc (options->clients, sizeof (uint32_t));
    self->senders = (uint32_t *) calloc (options->clients, sizeof (uint32_t));
    self->buffer = (char *) malloc (RUN_READ_CHUNK);
    self->text = (char *) malloc (options->size + MARKER_MAX);
    self->line = (char *) malloc (RUN_LINE_MAX);
    self->latency = histogram_new ();
    assert (self->conns && self->rooms && self->dirty && self->senders && self->buffer
            && self->text && self->line && self->latency);
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        conn->fd = -1;
        conn->index = index;
        conn->room = index % options->rooms;
        conn->member = index / options->rooms;
        //  Rotated by room so that rooms smaller than the gateway count
        //  still spread the load over every gateway
        conn->server = (conn->member + conn->room) % (uint32_t) options->server_count;
        conn->sender_slot = -1;
        self->rooms [conn->room].member_count++;
    }
    for (uint32_t room = 0; room < options->rooms; room++) {
        room_t *entry = &self->rooms [room];
        entry->sender_count = options->mode == RUN_IDLE? 0
                            : options->senders == 0 || options->senders > entry->member_count?
                              entry->member_count: options->senders;
    }
    self->seed = RUN_RANDOM_SEED;
    return 0;
}

static void
s_phase_join (run_t *self)
{
    const run_options_t *options = self->options;
    uint64_t start = loadgen_now ();
    uint64_t deadline = start + (uint64_t) (options->join_timeout * LOADGEN_NS_PER_S);
    uint64_t progress = start + RUN_PROGRESS_NS;
    self->now = start;
    while ((self->next_connect < options->clients || self->pending > 0)
       &&  self->now < deadline && !zsys_interrupted) {
        while (self->next_connect < options->clients) {
            if (options->connect_rate > 0) {
                uint64_t due = start + (uint64_t) ((double) self->next_connect
                                                   * LOADGEN_NS_PER_S / options->connect_rate);
                if (self->now < due)
                    break;
            }
            else
            if (self->pending >= options->max_pending)
                break;
            s_start_connect (self, &self->conns [self->next_connect++]);
        }
        s_pass (self, RUN_TICK_MS);
        if (self->now >= progress) {
            s_progress (self, "join");
            progress += RUN_PROGRESS_NS;
        }
    }
    uint32_t stuck [CONN_FAILED + 1] = { 0 };
    for (uint32_t index = 0; index < options->clients; index++)
        stuck [self->conns [index].state]++;
    if (stuck [CONN_IDLE] + stuck [CONN_CONNECTING] + stuck [CONN_LOGIN] + stuck [CONN_JOINING]) {
        char what [sizeof (self->result->first_error)];
        int size = snprintf (what, sizeof (what), "join timeout: %" PRIu32 " not started, %" PRIu32
                             " connecting, %" PRIu32 " logging in, %" PRIu32 " joining",
                             stuck [CONN_IDLE], stuck [CONN_CONNECTING], stuck [CONN_LOGIN],
                             stuck [CONN_JOINING]);
        s_note_error (self, what, (size_t) size);
    }
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        if (conn->state == CONN_IDLE || conn->state == CONN_CONNECTING
        ||  conn->state == CONN_LOGIN || conn->state == CONN_JOINING) {
            if (conn->state == CONN_IDLE)
                self->pending++;        //  s_fail counts it out again
            conn->state = CONN_LOGIN;
            s_fail (self, conn, &self->result->timed_out);
        }
    }
    self->result->join_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
}

//  Send probes in every room that still has members waiting for one.
static void
s_send_probes (run_t *self)
{
    const run_options_t *options = self->options;
    for (uint32_t room = 0; room < options->rooms; room++) {
        uint32_t waiting = 0, present = 0;
        conn_t *probers [RUN_PROBERS];
        for (uint32_t member = 0; member < self->rooms [room].member_count; member++) {
            conn_t *conn = &self->conns [room + member * options->rooms];
            if (conn->state != CONN_JOINED && conn->state != CONN_READY)
                continue;
            if (present < RUN_PROBERS)
                probers [present] = conn;
            present++;
            if (conn->state == CONN_JOINED)
                waiting++;
        }
        if (waiting == 0)
            continue;
        if (present == 1) {
            s_set_ready (self, probers [0]);
            continue;
        }
        for (uint32_t index = 0; index < RUN_PROBERS && index < present; index++) {
            marker_t marker = { .type = MARKER_PROBE, .room = room,
                                .sender = probers [index]->index, .sent_ns = self->now };
            s_send_marked (self, probers [index], &marker);
        }
    }
}

static void
s_phase_barrier (run_t *self)
{
    uint64_t start = loadgen_now ();
    uint64_t deadline = start + (uint64_t) (self->options->barrier_timeout * LOADGEN_NS_PER_S);
    uint64_t next_probe = start;
    self->now = start;
    while (self->waiting > 0 && self->now < deadline && !zsys_interrupted) {
        if (self->now >= next_probe) {
            s_send_probes (self);
            next_probe = self->now + RUN_PROBE_INTERVAL_NS;
            s_progress (self, "barrier");
        }
        s_pass (self, RUN_TICK_MS);
    }
    for (uint32_t index = 0; index < self->options->clients; index++)
        if (self->conns [index].state == CONN_JOINED)
            s_fail (self, &self->conns [index], &self->result->failed_barrier);
    self->result->barrier_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
}

//  Give every ready member its tracks, every ready sender its window.
static void
s_prepare_senders (run_t *self)
{
    const run_options_t *options = self->options;
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        room_t *room = &self->rooms [conn->room];
        if (conn->state != CONN_READY || room->sender_count == 0)
            continue;
        conn->tracks = (track_t *) calloc (room->sender_count, sizeof (track_t));
        assert (conn->tracks);
        if (conn->member < room->sender_count) {
            conn->sender_slot = (int) conn->member;
            self->senders [self->sender_count++] = index;
            if (options->mode == RUN_CLOSED) {
                conn->flights = (flight_t *) calloc (options->window, sizeof (flight_t));
                assert (conn->flights);
            }
        }
    }
}

//  Send whatever is due: open loop by the clock, closed loop by the window.
static void
s_send_due (run_t *self)
{
    const run_options_t *options = self->options;
    self->now = loadgen_now ();
    for (size_t index = 0; index < self->sender_count; index++) {
        conn_t *conn = &self->conns [self->senders [index]];
        if (conn->state != CONN_READY)
            continue;
        if (options->mode == RUN_OPEN) {
            uint64_t interval = (uint64_t) (LOADGEN_NS_PER_S / options->rate);
            for (int burst = 0; burst < RUN_CATCHUP_MAX && conn->next_send_ns <= self->now;
                 burst++) {
                s_send_message (self, conn);
                conn->next_send_ns += interval;
            }
            if (conn->next_send_ns + interval * RUN_CATCHUP_MAX < self->now)
                conn->next_send_ns = self->now;     //  fell behind: do not burst later
        }
        else {
            uint32_t window = options->window;
            if (conn->acked < conn->sent) {
                flight_t *oldest = &conn->flights [(conn->acked + 1) % window];
                if (self->now - oldest->sent_ns > RUN_FLIGHT_TIMEOUT_NS) {
                    oldest->remaining = 0;
                    self->result->flight_timeouts++;
                    s_advance (conn, window);
                }
            }
            while (conn->sent - conn->acked < window && conn->fd >= 0)
                s_send_message (self, conn);
        }
    }
}

static void
s_phase_measure (run_t *self)
{
    const run_options_t *options = self->options;
    run_result_t *result = self->result;
    s_prepare_senders (self);
    struct rusage usage_start, usage_end;
    getrusage (RUSAGE_SELF, &usage_start);
    procstat_sample (options->pids, options->pid_count, &result->cpu_start);
    uint64_t start = loadgen_now ();
    self->window_end = start + (uint64_t) (options->duration * LOADGEN_NS_PER_S);
    if (options->mode == RUN_OPEN) {
        uint64_t interval = (uint64_t) (LOADGEN_NS_PER_S / options->rate);
        for (size_t index = 0; index < self->sender_count; index++)
            self->conns [self->senders [index]].next_send_ns
                = start + (uint64_t) rand_r (&self->seed) % (interval? interval: 1);
    }
    uint64_t progress = start + RUN_PROGRESS_NS;
    self->now = start;
    while (self->now < self->window_end && !zsys_interrupted) {
        if (options->mode != RUN_IDLE)
            s_send_due (self);
        s_pass (self, RUN_TICK_MS);
        if (self->now >= progress) {
            s_progress (self, "measure");
            progress += RUN_PROGRESS_NS;
        }
    }
    procstat_sample (options->pids, options->pid_count, &result->cpu_end);
    getrusage (RUSAGE_SELF, &usage_end);
    result->measured_s = (double) (loadgen_now () - start) / LOADGEN_NS_PER_S;
    double user = (double) (usage_end.ru_utime.tv_sec - usage_start.ru_utime.tv_sec)
                + (double) (usage_end.ru_utime.tv_usec - usage_start.ru_utime.tv_usec) / 1e6;
    double system = (double) (usage_end.ru_stime.tv_sec - usage_start.ru_stime.tv_sec)
                  + (double) (usage_end.ru_stime.tv_usec - usage_start.ru_stime.tv_usec) / 1e6;
    result->loadgen_cpu_s = user + system;
}

//  Deliveries still owed by live receivers, from what was sent.
static uint64_t
s_expected_live (run_t *self)
{
    uint64_t expected = 0;
    for (size_t index = 0; index < self->sender_count; index++) {
        conn_t *sender = &self->conns [self->senders [index]];
        uint32_t ready = self->rooms [sender->room].ready;
        uint32_t receivers = sender->state == CONN_READY? ready - 1: ready;
        expected += sender->sent * receivers;
    }
    return expected;
}

static void
s_phase_drain (run_t *self)
{
    uint64_t deadline = loadgen_now () + (uint64_t) (self->options->drain * LOADGEN_NS_PER_S);
    self->now = loadgen_now ();
    while (self->result->delivered < s_expected_live (self) && self->now < deadline
       &&  !zsys_interrupted)
        s_pass (self, RUN_TICK_MS);
}

//  Exact accounting from the tracks: every ready receiver should have
//  every message of every other sender of its room.
static void
s_account (run_t *self)
{
    const run_options_t *options = self->options;
    run_result_t *result = self->result;
    for (uint32_t index = 0; index < options->clients; index++) {
        conn_t *conn = &self->conns [index];
        if (!conn->tracks)
            continue;
        room_t *room = &self->rooms [conn->room];
        for (uint32_t slot = 0; slot < room->sender_count; slot++) {
            conn_t *sender = &self->conns [conn->room + slot * options->rooms];
            if (sender == conn)
                continue;
            result->expected += sender->sent;
            result->lost += sender->sent - conn->tracks [slot].unique;
        }
    }
    for (int index = 0; index < RUN_PERCENTILES; index++)
        result->latency_ns [index] = histogram_percentile (self->latency, s_percentiles [index]);
    result->latency_ns [RUN_PERCENTILES] = histogram_max (self->latency);
    result->latency_ns [RUN_PERCENTILES + 1] = histogram_mean (self->latency);
}

static void
s_teardown (run_t *self)
{
    if (self->conns) {
        for (uint32_t index = 0; index < self->options->clients; index++) {
            conn_t *conn = &self->conns [index];
            conn_close (conn);
            if (conn->tracks) {
                for (uint32_t slot = 0; slot < self->rooms [conn->room].sender_count; slot++)
                    track_reset (&conn->tracks [slot]);
                free (conn->tracks);
            }
            free (conn->flights);
        }
    }
    if (self->epoll_fd >= 0)
        close (self->epoll_fd);
    histogram_destroy (&self->latency);
    free (self->conns);
    free (self->rooms);
    free (self->servers);
    free (self->dirty);
    free (self->senders);
    free (self->buffer);
    free (self->text);
    free (self->line);
}

int
run_execute (const run_options_t *options, run_result_t *result)
{
    assert (options);
    assert (result);
    memset (result, 0, sizeof (*result));
    run_t self = { .options = options, .result = result, .epoll_fd = -1 };
    if (s_setup (&self)) {
        s_teardown (&self);
        return -1;
    }
    procstat_sample (options->pids, options->pid_count, &result->baseline);
    s_phase_join (&self);
    s_progress (&self, "joined");
    s_phase_barrier (&self);
    s_progress (&self, "barrier done");
    s_phase_measure (&self);
    s_phase_drain (&self);
    s_progress (&self, "drained");
    s_account (&self);
    s_teardown (&self);
    return 0;
}

/*  =========================================================================
    run_io.c - the load generator's connections and its event loop

    Opening connections (non-blocking connect, spread over source
    addresses), reading and splitting input into lines (handed to
    run_traffic.c), queueing output and writing it once per loop pass,
    and giving up on a connection with the reason counted. run_pass is
    the loop's one step; the phases in run.c call it until they are done.
    =========================================================================
*/
#include "run_private.h"
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define RUN_EVENTS_MAX          1024
#define RUN_READS_PER_WAKE      4       //  reads per connection per wake-up
#define RUN_SOURCE_BASE         0x7f000001  //  127.0.0.1

void
run_note_error (run_t *self, const char *line, size_t length)
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
void
run_fail (run_t *self, conn_t *conn, uint32_t *counter)
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
uint32_t *
run_counter_for (run_t *self, conn_t *conn)
{
    run_result_t *result = self->result;
    switch (conn->state) {
        case CONN_CONNECTING: return &result->failed_connect;
        case CONN_JOINED:     return &result->failed_barrier;
        case CONN_READY:      return &result->failed_later;
        default:              return &result->failed_login;
    }
}

void
run_queue (run_t *self, conn_t *conn, const char *data, size_t size)
{
    if (conn->fd < 0)
        return;
    if (conn_queue (conn, data, size)) {
        run_note_error (self, "loadgen: output buffer full", strlen ("loadgen: output buffer full"));
        run_fail (self, conn, run_counter_for (self, conn));
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
        if (conn->fd < 0 || conn->state == CONN_CONNECTING || conn->handshaking)
            continue;
        int rc = conn_flush (conn);
        if (rc < 0)
            run_fail (self, conn, run_counter_for (self, conn));
        else
        if (rc > 0 && !conn->want_output)
            s_set_interest (self, conn, true);
    }
    self->dirty_count = 0;
}

//  Split data into lines, keeping a partial last line in the connection.
static void
s_consume (run_t *self, conn_t *conn, const char *data, size_t size)
{
    if (conn->input_used) {
        if (conn->input_used + size > CONN_INPUT_MAX) {
            run_note_error (self, "loadgen: line too long", strlen ("loadgen: line too long"));
            run_fail (self, conn, run_counter_for (self, conn));
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
        run_on_line (self, conn, cursor, length);
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
        ssize_t size = conn_recv (conn, self->buffer, RUN_READ_CHUNK);
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
                run_note_error (self, what, strlen (what));
            }
            run_fail (self, conn, run_counter_for (self, conn));
        }
    }
}

static void s_login (run_t *self, conn_t *conn);

//  --tls: take the handshake on; when done, log in.
static void
s_on_handshake (run_t *self, conn_t *conn)
{
    int rc = conn_tls_handshake (conn);
    if (rc == CONN_TLS_DONE)
        s_login (self, conn);
    else
    if (rc == CONN_TLS_WANT_READ || rc == CONN_TLS_WANT_WRITE)
        s_set_interest (self, conn, rc == CONN_TLS_WANT_WRITE);
    else {
        run_note_error (self, "TLS handshake failed", strlen ("TLS handshake failed"));
        run_fail (self, conn, &self->result->failed_login);
    }
}

static void
s_on_connected (run_t *self, conn_t *conn)
{
    int error = 0;
    socklen_t length = sizeof (error);
    if (getsockopt (conn->fd, SOL_SOCKET, SO_ERROR, &error, &length) || error) {
        const char *what = strerror (error? error: errno);
        run_note_error (self, what, strlen (what));
        run_fail (self, conn, &self->result->failed_connect);
        return;
    }
    conn->state = CONN_LOGIN;
    self->result->connected++;
    if (self->options->tls_context) {
        if (conn_tls_start (conn, self->options->tls_context)) {
            run_fail (self, conn, &self->result->failed_login);
            return;
        }
        s_on_handshake (self, conn);
        return;
    }
    s_login (self, conn);
}

//  Connected (and with --tls, past the handshake): send the login.
static void
s_login (run_t *self, conn_t *conn)
{
    s_set_interest (self, conn, false);
    char hello [RUN_LINE_MAX];
    int size = dialect_hello (self->options->dialect, conn->index, conn->nick, hello,
                              sizeof (hello));
    assert (size >= 0);
    if (size > 0)
        run_queue (self, conn, hello, (size_t) size);
}

//  Open connection index (non-blocking); it completes in the loop.
void
run_start_connect (run_t *self, conn_t *conn)
{
    const run_options_t *options = self->options;
    conn->state = CONN_CONNECTING;
    self->pending++;
    conn->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn->fd < 0) {
        const char *what = strerror (errno);
        run_note_error (self, what, strlen (what));
        run_fail (self, conn, &self->result->failed_connect);
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
            run_note_error (self, what, strlen (what));
            run_fail (self, conn, &self->result->failed_connect);
            return;
        }
    }
    struct sockaddr_in *server = &self->servers [conn->server];
    if (connect (conn->fd, (struct sockaddr *) server, sizeof (*server))
    &&  errno != EINPROGRESS) {
        const char *what = strerror (errno);
        run_note_error (self, what, strlen (what));
        run_fail (self, conn, &self->result->failed_connect);
        return;
    }
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT };
    event.data.u32 = conn->index;
    epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, conn->fd, &event);
    conn->want_output = true;
}

//  One loop pass: flush, wait up to timeout_ms, handle events, flush.
void
run_pass (run_t *self, int timeout_ms)
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
        if (conn->handshaking) {
            s_on_handshake (self, conn);
            continue;
        }
        if (events [index].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            s_on_readable (self, conn);
        if (conn->fd >= 0 && (events [index].events & EPOLLOUT)) {
            int rc = conn_flush (conn);
            if (rc < 0)
                run_fail (self, conn, run_counter_for (self, conn));
            else
            if (rc == 0)
                s_set_interest (self, conn, false);
        }
    }
    s_flush_dirty (self);
}

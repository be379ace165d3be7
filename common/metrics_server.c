/*  =========================================================================
    metrics_server.c - GET /metrics on its own thread

    The actor polls its pipe, the listening socket and its connections
    with zmq_poll (raw fds are poll items too). Each connection reads into
    an HTTP parser until the head is complete, then gets its whole answer
    rendered into one buffer, written as the socket takes it, and is
    closed. Deadlines are checked on every wake-up; the poll timeout is
    the nearest one, so an idle server sleeps.
    =========================================================================
*/
#include "metrics_server.h"
#include "address.h"
#include "http.h"

#define METRICS_SERVER_BACKLOG      64
#define METRICS_SERVER_READ_SIZE    4096
#define METRICS_SERVER_VALUES       "VALUES"    //  pipe: a copy of the values
#define METRICS_SERVER_TERM         "$TERM"

typedef struct {
    int fd;                         //  -1 when the slot is free
    http_request_t *request;        //  the head being read
    char *answer;                   //  the answer, once the head is in
    size_t answer_size;
    size_t answer_sent;
    int64_t deadline;               //  zclock_mono time to give up
} connection_t;

//  The server thread's state; only that thread touches it.
typedef struct {
    zsock_t *pipe;
    int listen_fd;
    metrics_server_config_t config;
    metrics_t *values;              //  the latest copy
    connection_t *connections;      //  config.max_connections slots
    http_limits_t limits;
    bool terminated;
} server_t;

struct _metrics_server_t {
    zactor_t *actor;                //  the server thread
    int port;                       //  bound port
    size_t count;                   //  rows in the table
};

//  What the actor is started with.
typedef struct {
    int listen_fd;
    metrics_server_config_t config;
    const metrics_def_t *defs;
    size_t count;
} server_args_t;

void
metrics_server_config_defaults (metrics_server_config_t *config)
{
    assert (config);
    config->address = NULL;
    config->max_connections = METRICS_SERVER_CONNECTIONS;
    config->timeout_ms = METRICS_SERVER_TIMEOUT_MS;
}

static void
s_connection_close (connection_t *connection)
{
    if (connection->fd == -1)
        return;
    close (connection->fd);
    http_request_destroy (&connection->request);
    free (connection->answer);
    memset (connection, 0, sizeof (*connection));
    connection->fd = -1;
}

//  Accept what is waiting; past the slots, close at once.
static void
s_accept (server_t *self)
{
    while (true) {
        int fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1)
            return;
        connection_t *slot = NULL;
        for (size_t index = 0; index < self->config.max_connections && !slot; index++)
            if (self->connections [index].fd == -1)
                slot = &self->connections [index];
        if (!slot) {
            close (fd);
            continue;
        }
        slot->fd = fd;
        slot->request = http_request_new (&self->limits);
        slot->deadline = zclock_mono () + self->config.timeout_ms;
    }
}

//  The answer to a complete (or refused) head.
static void
s_answer (server_t *self, connection_t *connection, http_result_t result)
{
    http_request_t *request = connection->request;
    int status = 200;
    const char *allow = NULL;
    if (result == HTTP_ERROR)
        status = http_request_status (request);
    else
    if (!streq (http_request_method (request), "GET")
    &&  !streq (http_request_method (request), "HEAD")) {
        status = 405;
        allow = "Allow: GET, HEAD\r\n";
    }
    else
    if (!streq (http_request_path (request), METRICS_SERVER_PATH))
        status = 404;
    char *body = status == 200? metrics_render (self->values):
        zsys_sprintf ("%d %s\n", status, http_status_text (status));
    bool head_only = result == HTTP_DONE && streq (http_request_method (request), "HEAD");
    connection->answer = http_response_new (status,
        status == 200? METRICS_CONTENT_TYPE: "text/plain; charset=utf-8",
        allow, body, head_only? 0: strlen (body), &connection->answer_size);
    zstr_free (&body);
}

static void
s_read (server_t *self, connection_t *connection)
{
    char buffer [METRICS_SERVER_READ_SIZE];
    ssize_t size = recv (connection->fd, buffer, sizeof (buffer), 0);
    if (size == 0 || (size == -1 && errno != EAGAIN && errno != EINTR)) {
        s_connection_close (connection);
        return;
    }
    if (size == -1)
        return;
    size_t consumed;
    http_result_t result = http_request_feed (connection->request, buffer, (size_t) size,
                                              &consumed);
    if (result != HTTP_MORE)
        s_answer (self, connection, result);
}

static void
s_write (connection_t *connection)
{
    ssize_t sent = send (connection->fd, connection->answer + connection->answer_sent,
                         connection->answer_size - connection->answer_sent, MSG_NOSIGNAL);
    if (sent == -1 && (errno == EAGAIN || errno == EINTR))
        return;
    if (sent == -1 || (connection->answer_sent += (size_t) sent) == connection->answer_size)
        s_connection_close (connection);
}

static void
s_on_pipe (server_t *self)
{
    char *command = NULL;
    byte *values = NULL, *histograms = NULL;
    size_t values_size = 0, histograms_size = 0;
    if (zsock_recv (self->pipe, "sbb", &command, &values, &values_size,
                    &histograms, &histograms_size) == -1) {
        self->terminated = true;
        return;
    }
    if (streq (command, METRICS_SERVER_TERM))
        self->terminated = true;
    else
    if (streq (command, METRICS_SERVER_VALUES)
    &&  values_size == self->values->count * sizeof (uint64_t)
    &&  histograms_size == self->values->count * sizeof (metrics_histogram_t)) {
        memcpy (self->values->values, values, values_size);
        memcpy (self->values->histograms, histograms, histograms_size);
    }
    zstr_free (&command);
    free (values);
    free (histograms);
}

//  Close connections past their deadline; returns ms to the next one.
static long
s_expire (server_t *self)
{
    int64_t now = zclock_mono ();
    long wait = -1;
    for (size_t index = 0; index < self->config.max_connections; index++) {
        connection_t *connection = &self->connections [index];
        if (connection->fd == -1)
            continue;
        if (now >= connection->deadline)
            s_connection_close (connection);
        else
        if (wait == -1 || connection->deadline - now < wait)
            wait = (long) (connection->deadline - now);
    }
    return wait;
}

//  One poll: pipe, listener, connections (reading or writing).
static void
s_poll_once (server_t *self, zmq_pollitem_t *items)
{
    size_t count = 0;
    items [count++] = (zmq_pollitem_t) { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 };
    items [count++] = (zmq_pollitem_t) { NULL, self->listen_fd, ZMQ_POLLIN, 0 };
    connection_t *polled [METRICS_SERVER_CONNECTIONS * 4];
    for (size_t index = 0; index < self->config.max_connections; index++) {
        connection_t *connection = &self->connections [index];
        if (connection->fd == -1)
            continue;
        polled [count - 2] = connection;
        items [count++] = (zmq_pollitem_t) { NULL, connection->fd,
                                             connection->answer? ZMQ_POLLOUT: ZMQ_POLLIN, 0 };
    }
    if (zmq_poll (items, (int) count, s_expire (self)) == -1) {
        self->terminated = errno != EINTR;
        return;
    }
    if (items [0].revents & ZMQ_POLLIN)
        s_on_pipe (self);
    if (items [1].revents & ZMQ_POLLIN)
        s_accept (self);
    for (size_t index = 2; index < count; index++) {
        connection_t *connection = polled [index - 2];
        if (connection->fd == -1 || !items [index].revents)
            continue;
        if (connection->answer)
            s_write (connection);
        else
            s_read (self, connection);
        if (connection->fd != -1 && connection->answer)
            s_write (connection);       //  usually the whole answer goes at once
    }
}

static void
s_actor (zsock_t *pipe, void *args)
{
    server_args_t *start = (server_args_t *) args;
    server_t self = {
        .pipe = pipe, .listen_fd = start->listen_fd, .config = start->config
    };
    self.values = metrics_new (start->defs, start->count);
    self.connections = (connection_t *) zmalloc (self.config.max_connections * sizeof (connection_t));
    assert (self.connections);
    for (size_t index = 0; index < self.config.max_connections; index++)
        self.connections [index].fd = -1;
    http_limits_defaults (&self.limits);
    free (start);
    zmq_pollitem_t *items = (zmq_pollitem_t *) zmalloc ((self.config.max_connections + 2)
                                                         * sizeof (zmq_pollitem_t));
    assert (items);
    zsock_signal (pipe, 0);
    while (!self.terminated)
        s_poll_once (&self, items);
    for (size_t index = 0; index < self.config.max_connections; index++)
        s_connection_close (&self.connections [index]);
    free (items);
    free (self.connections);
    metrics_destroy (&self.values);
    close (self.listen_fd);
}

metrics_server_t *
metrics_server_new (const metrics_server_config_t *config, const metrics_def_t *defs,
                    size_t count, const char *who)
{
    assert (config && config->address);
    assert (config->max_connections > 0 && config->max_connections <= METRICS_SERVER_CONNECTIONS * 4);
    assert (defs);
    int port;
    int fd = address_listen (config->address, METRICS_SERVER_BACKLOG, who, &port);
    if (fd == -1)
        return NULL;
    server_args_t *args = (server_args_t *) zmalloc (sizeof (server_args_t));
    assert (args);
    *args = (server_args_t) { fd, *config, defs, count };
    metrics_server_t *self = (metrics_server_t *) zmalloc (sizeof (metrics_server_t));
    assert (self);
    self->port = port;
    self->count = count;
    self->actor = zactor_new (s_actor, args);
    assert (self->actor);
    //  A snapshot the thread cannot take at once is dropped, not waited for
    zsock_set_sndtimeo (zactor_sock (self->actor), 0);
    return self;
}

void
metrics_server_destroy (metrics_server_t **self_p)
{
    assert (self_p);
    metrics_server_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    free (self);
    *self_p = NULL;
}

int
metrics_server_port (metrics_server_t *self)
{
    assert (self);
    return self->port;
}

void
metrics_server_publish (metrics_server_t *self, metrics_t *metrics)
{
    assert (self);
    assert (metrics && metrics->count == self->count);
    zsock_send (self->actor, "sbb", METRICS_SERVER_VALUES,
                metrics->values, metrics->count * sizeof (uint64_t),
                metrics->histograms, metrics->count * sizeof (metrics_histogram_t));
}

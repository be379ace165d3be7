/*  =========================================================================
    http_stage.c - the --http-listen port: one HTTP request, then a page or a WebSocket

    Each waiting socket is one http_conn_t on the stage's list, with its
    own parser and one deadline timer for the whole exchange. Reading:
    whatever the socket has, fed to the parser until the head is complete
    (the parser's caps bound the memory). Answering: the reply is sent
    with non-blocking sends, waiting for writability if needed. A page
    answer then gets FIN and the socket stays until the peer closes (a
    close with unread input would send RST and could cut the page short)
    or the deadline; an upgrade answer, once fully out, hands the socket
    and whatever bytes followed the head to the client set.
    =========================================================================
*/
#include "http_stage.h"
#include "http.h"
#include "ws_handshake.h"
#include "transport_ws.h"
#include "web_assets.h"
#include "admission.h"
#include "gateway_metrics.h"

#define HTTP_STAGE_READ_SIZE    4096
#define HTTP_STAGE_HEADERS_MAX  2048    //  our extra header lines, with room
#define HTTP_STAGE_INDEX        "/"
//  The page runs its own script and style, connects back to this gateway
//  (ws: or wss:), and nothing else: no inline script, no other origin
#define HTTP_STAGE_CSP \
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " \
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; " \
    "frame-ancestors 'none'"
#define HTTP_STAGE_SECURITY \
    "Content-Security-Policy: " HTTP_STAGE_CSP "\r\n" \
    "X-Content-Type-Options: nosniff\r\n" \
    "Referrer-Policy: no-referrer\r\n"
#define HTTP_STAGE_CACHE_PAGE   "Cache-Control: no-cache\r\n"
#define HTTP_STAGE_CACHE_ASSET  "Cache-Control: public, max-age=3600\r\n"
#define HTTP_STAGE_TEXT         "text/plain; charset=utf-8"

typedef struct _http_conn_t http_conn_t;

struct _http_stage_t {
    loop_t *loop;
    client_set_t *clients;              //  where upgraded sockets go
    http_stage_config_t config;         //  copied
    http_limits_t limits;               //  the parser's caps
    http_conn_t *head;                  //  waiting sockets
    size_t size;                        //  how many
};

typedef enum {
    HTTP_CONN_READING,                  //  the request head is arriving
    HTTP_CONN_ANSWERING,                //  the reply is going out
    HTTP_CONN_CLOSING                   //  FIN sent, waiting for the peer's
} http_conn_state_t;

struct _http_conn_t {
    http_stage_t *stage;
    http_conn_t *prev, *next;           //  on the stage's list
    int fd;                             //  the socket (owned)
    admission_entry_t *entry;           //  its admission, given back at close
    struct sockaddr_storage peer;       //  the address the logs name
    bool has_peer;                      //  peer is set
    http_request_t *request;            //  the parser
    http_conn_state_t state;
    int timer;                          //  the deadline
    char *reply;                        //  the answer, being sent
    size_t reply_size;
    size_t reply_sent;
    bool upgrade;                       //  after the reply: become a client
    bool json;                          //  ... over transport_ws_json
    char *early;                        //  bytes after the head (frames)
    size_t early_size;
    const transport_ops_t *lower;       //  how its bytes come: tcp, or tls (https)
    void *lower_state;                  //  its state, owned until the hand-over
};

static void
s_conn_destroy (http_conn_t **self_p)
{
    http_conn_t *self = *self_p;
    if (!self)
        return;
    http_stage_t *stage = self->stage;
    if (self->prev)
        self->prev->next = self->next;
    else
        stage->head = self->next;
    if (self->next)
        self->next->prev = self->prev;
    stage->size--;
    if (self->timer)
        loop_timer_cancel (stage->loop, self->timer);
    if (self->fd != -1) {
        loop_remove (stage->loop, self->fd);
        close (self->fd);
        admission_t *admission = client_set_admission (stage->clients);
        if (admission)
            admission_leave (admission, self->entry);
    }
    if (self->lower->destroy)
        self->lower->destroy (self->lower_state);
    http_request_destroy (&self->request);
    free (self->reply);
    free (self->early);
    free (self);
    *self_p = NULL;
}

//  The upgrade's answer is out: the socket becomes a WebSocket client.
static void
s_hand_over (http_conn_t *self)
{
    http_stage_t *stage = self->stage;
    int fd = self->fd;
    admission_entry_t *entry = self->entry;
    loop_remove (stage->loop, fd);
    self->fd = -1;                      //  the client set's from here on
    transport_ws_config_t config = {
        .max_message = stage->config.max_message,
        .ping_interval_ms = stage->config.ping_interval_ms
    };
    transport_ws_t *state = transport_ws_new (stage->loop, fd, &config, self->lower,
                                              self->lower_state, self->early, self->early_size);
    self->lower_state = NULL;           //  the WebSocket's (or freed) from here on
    self->lower = &transport_tcp;
    const transport_ops_t *ops = self->json? &transport_ws_json: &transport_ws;
    client_t *client = NULL;
    if (state)
        client = client_set_accept_transport (stage->clients, fd, entry,
                                              self->has_peer? (struct sockaddr *) &self->peer: NULL,
                                              ops, state);
    else {
        close (fd);
        admission_t *admission = client_set_admission (stage->clients);
        if (admission)
            admission_leave (admission, entry);
    }
    if (client)
        transport_ws_start (state, client);
    s_conn_destroy (&self);
}

static void s_on_io (loop_t *loop, int fd, int events, void *arg);

//  Ask the loop for interest, as the lower transport needs it (a TLS
//  read may wait for writability).
static void
s_want (http_conn_t *self, int interest)
{
    if (self->lower->interest)
        interest = self->lower->interest (self->lower_state, interest);
    loop_set_interest (self->stage->loop, self->fd, interest);
}

//  Send what is left of the reply; then hand over or half-close.
static void
s_send_reply (http_conn_t *self)
{
    const transport_ops_t *lower = self->lower;
    while (self->reply_sent < self->reply_size
    ||    (lower->unsent && lower->unsent (self->lower_state) > 0)) {
        bool push = self->reply_sent == self->reply_size;
        ssize_t sent = lower->write (self->lower_state, self->fd,
                                     push? NULL: self->reply + self->reply_sent,
                                     self->reply_size - self->reply_sent);
        if (sent > 0 || (push && sent == 0)) {
            self->reply_sent += push? 0: (size_t) sent;
            continue;
        }
        if (sent == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_want (self, LOOP_WRITABLE);
            return;
        }
        s_conn_destroy (&self);         //  the peer is gone
        return;
    }
    if (self->upgrade) {
        s_hand_over (self);
        return;
    }
    //  FIN (after close_notify over TLS: one try, the deadline bounds it)
    lower->shutdown (self->lower_state, self->fd, CLIENT_CLOSE_QUIT);
    self->state = HTTP_CONN_CLOSING;
    s_want (self, LOOP_READABLE);
}

//  Answer with a whole response (status line, headers, body) and close.
static void
s_answer (http_conn_t *self, int status, const char *content_type, const char *extra,
          const void *body, size_t size)
{
    self->reply = http_response_new (status, content_type, extra, body, size, &self->reply_size);
    self->state = HTTP_CONN_ANSWERING;
    s_send_reply (self);
}

//  A short text answer for a refusal, counted.
static void
s_refuse (http_conn_t *self, int status, const char *extra, int metric)
{
    GATEWAY_COUNT (metric);
    char body [HTTP_STAGE_HEADERS_MAX];
    int size = snprintf (body, sizeof (body), "%d %s\n", status, http_status_text (status));
    s_answer (self, status, HTTP_STAGE_TEXT, extra, body, (size_t) size);
}

static void
s_upgrade (http_conn_t *self)
{
    http_stage_t *stage = self->stage;
    ws_handshake_t handshake;
    bool secure = self->lower != &transport_tcp;
    int status = ws_handshake_check (self->request, stage->config.origins, secure, &handshake);
    if (status == HTTP_FORBIDDEN) {
        zsys_info ("http: refused origin=%s", http_request_header (self->request, "Origin"));
        s_refuse (self, status, NULL, GATEWAY_METRIC_HTTP_ORIGIN);
        return;
    }
    if (status != HTTP_SWITCHING_PROTOCOLS) {
        s_refuse (self, status, status == HTTP_UPGRADE_REQUIRED
                  ? "Sec-WebSocket-Version: " WS_VERSION "\r\n": NULL, GATEWAY_METRIC_HTTP_BAD);
        return;
    }
    GATEWAY_COUNT (GATEWAY_METRIC_HTTP_UPGRADE);
    self->upgrade = true;
    self->json = handshake.json;
    char *head = zsys_sprintf ("HTTP/1.1 101 %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                               http_status_text (HTTP_SWITCHING_PROTOCOLS), handshake.accept,
                               handshake.json? "Sec-WebSocket-Protocol: " WS_PROTOCOL_JSON "\r\n": "");
    assert (head);
    self->reply_size = strlen (head);
    self->reply = (char *) malloc (self->reply_size);
    assert (self->reply);
    memcpy (self->reply, head, self->reply_size);
    zstr_free (&head);
    self->state = HTTP_CONN_ANSWERING;
    s_send_reply (self);
}

static void
s_page (http_conn_t *self, const char *path)
{
    const web_asset_t *asset = web_asset_find (path);
    if (!asset) {
        s_refuse (self, HTTP_NOT_FOUND, NULL, GATEWAY_METRIC_HTTP_NOT_FOUND);
        return;
    }
    GATEWAY_COUNT (GATEWAY_METRIC_HTTP_PAGE);
    //  The page itself is asked again each time (a new gateway build
    //  brings a new page); what it loads may be kept for an hour
    bool page = streq (path, HTTP_STAGE_INDEX) || strstr (asset->content_type, "text/html");
    s_answer (self, HTTP_OK, asset->content_type,
              page? HTTP_STAGE_SECURITY HTTP_STAGE_CACHE_PAGE
                  : HTTP_STAGE_SECURITY HTTP_STAGE_CACHE_ASSET,
              asset->data, asset->size);
}

//  The head is complete: route it.
static void
s_route (http_conn_t *self)
{
    http_request_t *request = self->request;
    const char *path = http_request_path (request);
    if (!streq (http_request_method (request), "GET")) {
        s_refuse (self, HTTP_METHOD_NOT_ALLOWED, "Allow: GET\r\n", GATEWAY_METRIC_HTTP_BAD);
        return;
    }
    if (http_request_has_body (request)) {
        s_refuse (self, HTTP_CONTENT_TOO_LARGE, NULL, GATEWAY_METRIC_HTTP_BAD);
        return;
    }
    if (streq (path, WS_PATH))
        s_upgrade (self);
    else
        s_page (self, path);
}

static void
s_read (http_conn_t *self)
{
    char buffer [HTTP_STAGE_READ_SIZE];
    while (true) {
        ssize_t size = self->lower->read (self->lower_state, self->fd, buffer, sizeof (buffer));
        if (size == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (self->state != HTTP_CONN_ANSWERING)
                s_want (self, LOOP_READABLE);
            return;
        }
        if (size <= 0) {
            s_conn_destroy (&self);     //  the peer closed (or reset): done
            return;
        }
        if (self->state == HTTP_CONN_CLOSING)
            continue;                   //  read away until its EOF
        if (self->state != HTTP_CONN_READING)
            return;
        size_t consumed;
        http_result_t result = http_request_feed (self->request, buffer, (size_t) size, &consumed);
        if (result == HTTP_MORE)
            continue;
        if (result == HTTP_ERROR) {
            s_want (self, 0);
            s_refuse (self, http_request_status (self->request), NULL, GATEWAY_METRIC_HTTP_BAD);
            return;
        }
        //  Frames sent right behind the head are the WebSocket's
        if ((size_t) size > consumed) {
            self->early_size = (size_t) size - consumed;
            self->early = (char *) malloc (self->early_size);
            assert (self->early);
            memcpy (self->early, buffer + consumed, self->early_size);
        }
        s_want (self, 0);
        s_route (self);
        return;
    }
}

static void
s_on_io (loop_t *loop, int fd, int events, void *arg)
{
    (void) loop;
    (void) fd;
    http_conn_t *self = (http_conn_t *) arg;
    if (self->lower->events)
        events = self->lower->events (self->lower_state, events);
    if (self->state == HTTP_CONN_ANSWERING && (events & (LOOP_WRITABLE | LOOP_ERROR)))
        s_send_reply (self);
    else
    if (events & (LOOP_READABLE | LOOP_ERROR))
        s_read (self);
}

static int
s_on_deadline (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    http_conn_t *self = (http_conn_t *) arg;
    self->timer = 0;
    if (self->state == HTTP_CONN_READING) {
        //  One try at telling it; whatever does not fit now is dropped
        GATEWAY_COUNT (GATEWAY_METRIC_HTTP_TIMEOUT);
        size_t size;
        char *reply = http_response_new (HTTP_REQUEST_TIMEOUT, NULL, NULL, NULL, 0, &size);
        ssize_t sent = self->lower->write (self->lower_state, self->fd, reply, size);
        (void) sent;
        free (reply);
    }
    s_conn_destroy (&self);
    return -1;
}

void
http_stage_add_over (void *arg, int fd, admission_entry_t *entry, const struct sockaddr *peer,
                     const transport_ops_t *lower, void *lower_state)
{
    http_stage_t *stage = (http_stage_t *) arg;
    assert (stage);
    assert (lower);
    http_conn_t *self = (http_conn_t *) zmalloc (sizeof (http_conn_t));
    assert (self);
    self->stage = stage;
    self->fd = fd;
    self->entry = entry;
    self->lower = lower;
    self->lower_state = lower_state;
    if (peer) {
        size_t size = peer->sa_family == AF_INET6? sizeof (struct sockaddr_in6)
                                                 : sizeof (struct sockaddr_in);
        memcpy (&self->peer, peer, size);
        self->has_peer = true;
    }
    self->request = http_request_new (&stage->limits);
    self->next = stage->head;
    if (stage->head)
        stage->head->prev = self;
    stage->head = self;
    stage->size++;
    self->timer = loop_timer_add (stage->loop, stage->config.timeout_ms, false,
                                  s_on_deadline, self);
    if (loop_add (stage->loop, fd, LOOP_READABLE, s_on_io, self)) {
        s_conn_destroy (&self);
        return;
    }
    s_read (self);              //  the request may be there already
}

static void
s_add (void *arg, int fd, admission_entry_t *entry, const struct sockaddr *peer)
{
    http_stage_add_over (arg, fd, entry, peer, &transport_tcp, NULL);
}

static size_t
s_size (void *arg)
{
    return ((http_stage_t *) arg)->size;
}

//  A refusal before the request (server full, an address over its cap)
//  closes without the telnet port's "! ..." line: a browser would take
//  it for a broken answer
static const listener_stage_t s_ops = { .add = s_add, .size = s_size, .silent_refusals = true };

size_t
http_stage_size (http_stage_t *self)
{
    assert (self);
    return self->size;
}

const listener_stage_t *
http_stage_ops (void)
{
    return &s_ops;
}

http_stage_t *
http_stage_new (loop_t *loop, client_set_t *clients, const http_stage_config_t *config)
{
    assert (loop);
    assert (clients);
    assert (config);
    http_stage_t *self = (http_stage_t *) zmalloc (sizeof (http_stage_t));
    assert (self);
    self->loop = loop;
    self->clients = clients;
    self->config = *config;
    http_limits_defaults (&self->limits);
    return self;
}

void
http_stage_destroy (http_stage_t **self_p)
{
    assert (self_p);
    http_stage_t *self = *self_p;
    if (!self)
        return;
    while (self->head) {
        http_conn_t *conn = self->head;
        s_conn_destroy (&conn);
    }
    free (self);
    *self_p = NULL;
}

/*  =========================================================================
    transport_ws.c - WebSocket (RFC 6455) under a client, over a lower transport

    wslay parses and builds the frames; this file is its glue to the seam.
    Reading: the client's read runs wslay_event_recv, whose recv callback
    reads the lower transport (the bytes that came with the request head
    first); each whole text message is checked (UTF-8, else 1007; binary
    is 1003) and appended, with a LF, to a small queue that read hands
    out. wslay itself closes with 1002 for protocol errors (an unmasked
    frame, bad reserved bits, a bad control frame) and with 1009 for a
    message over the line cap, and answers pings and closes. A message
    cannot hold a line end: CR and LF become a control character that the
    client's line check then refuses, as for a telnet line with one.

    Writing: write takes whole lines and queues each as a text frame, at
    most TRANSPORT_WS_QUEUE_MAX bytes behind the socket, so a slow reader
    still backs up into the client's bounded output queue (outbuf.h), not
    here. Frames wslay wants to send on its own (a pong, the answer to a
    close, a keepalive ping) make the client flush (client_wake_output),
    which pushes them through unsent/write like any output.

    Closing: shutdown queues a close frame with the code for the client's
    close reason (1000, or 1001 for drain and shutdown), sends it, then
    shuts the lower transport down (FIN). Once the peer's close frame has
    come, or the input was refused, read reports the end of input.
    =========================================================================
*/
#include "transport_ws.h"
#include "text.h"
#include "json.h"
#include "gateway_metrics.h"
#include <wslay/wslay.h>

#define TRANSPORT_WS_INPUT_MAX      (16 * 1024) //  decoded input queued before reading stops
#define TRANSPORT_WS_QUEUE_MAX      (64 * 1024) //  frame bytes queued behind the socket
#define TRANSPORT_WS_LINE_END       '\n'
#define TRANSPORT_WS_NOT_A_LINE_END '\x1a'      //  SUB: refused as a control character
#define TRANSPORT_WS_LAGGED         "! lagged: "
#define TRANSPORT_WS_ERROR          "! "
#define TRANSPORT_WS_NOTICE         "* "
#define TRANSPORT_WS_TRY_AGAIN      1013        //  RFC 6455 registry: try again later
#define TRANSPORT_WS_FIN            0x80        //  first header byte: the final fragment
#define TRANSPORT_WS_CONTROL        0x08        //  opcodes 8-15 are control frames
#define TRANSPORT_WS_OPCODE         0x0F
#define TRANSPORT_WS_MASKED         0x80        //  second header byte: a mask key follows
#define TRANSPORT_WS_LENGTH         0x7F        //  ... and the length or its escape
#define TRANSPORT_WS_LENGTH_16      126         //  a 16-bit length follows
#define TRANSPORT_WS_LENGTH_64      127         //  a 64-bit length follows
#define TRANSPORT_WS_CONTROL_MAX    125         //  bytes of a control frame's payload
#define TRANSPORT_WS_MASK_SIZE      4
#define TRANSPORT_WS_BYTE_BITS      8
#define TRANSPORT_WS_64_MIN         65536       //  a 64-bit length must need it
#define TRANSPORT_WS_64_TOP         (1ull << 63)

//  Where the header scan is (s_scan).
typedef enum {
    TRANSPORT_WS_SCAN_HEAD,                     //  the first header byte is next
    TRANSPORT_WS_SCAN_LENGTH,                   //  the second
    TRANSPORT_WS_SCAN_EXTENDED,                 //  bytes of a 16- or 64-bit length
    TRANSPORT_WS_SCAN_MASK,                     //  the mask key
    TRANSPORT_WS_SCAN_PAYLOAD                   //  payload bytes
} transport_ws_scan_t;

struct _transport_ws_t {
    wslay_event_context_ptr context;    //  wslay's framing state
    const transport_ops_t *lower;       //  where the frames go (tcp, tls)
    void *lower_state;                  //  its state (owned)
    int fd;                             //  the socket
    loop_t *loop;                       //  for the ping timer
    client_t *client;                   //  once started; NULL before
    int64_t ping_interval_ms;           //  0 = no pings
    int ping_timer;                     //  its id, 0 = none
    bool heard;                         //  bytes came since the last ping
    bool ping_out;                      //  a ping went and nothing came since
    bool eof;                           //  the lower transport reported EOF
    int error;                          //  errno of a lower failure, 0 = none
    bool json;                          //  transport_ws_json (wrap our own lines)
    bool close_counted;                 //  the close code sent was counted
    char *early;                        //  bytes sent with the request head
    size_t early_size;                  //  bytes in early
    size_t early_used;                  //  of which read already
    char *input;                        //  decoded lines not yet read
    size_t input_size;                  //  bytes in input
    size_t input_used;                  //  of which read already
    size_t input_capacity;              //  bytes allocated
    json_t *wrap;                       //  JSON of a wrapped line, once needed (json only)
    uint8_t scan;                       //  transport_ws_scan_t: the header scan's place
    uint8_t scan_first;                 //  the frame's first header byte
    uint8_t scan_need;                  //  bytes of length or mask key still to come
    uint8_t scan_escape;                //  the length escape (126, 127) being read
    bool scan_masked;                   //  the frame has a mask key
    uint64_t scan_left;                 //  length, then payload bytes still to come
};

//  --- wslay's callbacks -------------------------------------------------------

static void s_fail (transport_ws_t *self, uint16_t code);

//  The byte after a frame's length (and mask key): its payload, or the
//  next frame when it has none.
static void
s_scan_payload (transport_ws_t *self, bool masked)
{
    if (masked) {
        self->scan = TRANSPORT_WS_SCAN_MASK;
        self->scan_need = TRANSPORT_WS_MASK_SIZE;
    }
    else
        self->scan = self->scan_left? TRANSPORT_WS_SCAN_PAYLOAD: TRANSPORT_WS_SCAN_HEAD;
}

//  Follow the frame headers in the bytes handed to wslay, for the
//  faults wslay's frame layer refuses with an empty close frame (a
//  fragmented or long control frame, a length not in its shortest form):
//  those get 1002 here first, as RFC 6455 says. The scan keeps its place
//  across reads; a payload is skipped, not looked at.
static void
s_scan (transport_ws_t *self, const uint8_t *bytes, size_t size)
{
    size_t index = 0;
    while (index < size) {
        uint8_t byte = bytes [index];
        switch ((transport_ws_scan_t) self->scan) {
            case TRANSPORT_WS_SCAN_HEAD:
                self->scan_first = byte;
                self->scan = TRANSPORT_WS_SCAN_LENGTH;
                index++;
                break;
            case TRANSPORT_WS_SCAN_LENGTH: {
                uint8_t length = byte & TRANSPORT_WS_LENGTH;
                bool control = (self->scan_first & TRANSPORT_WS_OPCODE) & TRANSPORT_WS_CONTROL;
                if (control && (!(self->scan_first & TRANSPORT_WS_FIN)
                            ||  length > TRANSPORT_WS_CONTROL_MAX))
                    s_fail (self, WSLAY_CODE_PROTOCOL_ERROR);
                self->scan_escape = length;
                self->scan_masked = (byte & TRANSPORT_WS_MASKED) != 0;
                self->scan_left = 0;
                if (length == TRANSPORT_WS_LENGTH_16 || length == TRANSPORT_WS_LENGTH_64) {
                    self->scan = TRANSPORT_WS_SCAN_EXTENDED;
                    self->scan_need = length == TRANSPORT_WS_LENGTH_16? 2: 8;
                }
                else {
                    self->scan_left = length;
                    s_scan_payload (self, self->scan_masked);
                }
                index++;
                break;
            }
            case TRANSPORT_WS_SCAN_EXTENDED:
                self->scan_left = (self->scan_left << TRANSPORT_WS_BYTE_BITS) | byte;
                index++;
                if (--self->scan_need == 0) {
                    bool shortest = self->scan_escape == TRANSPORT_WS_LENGTH_16
                                  ? self->scan_left >= TRANSPORT_WS_LENGTH_16
                                  : self->scan_left >= TRANSPORT_WS_64_MIN
                                    && !(self->scan_left & TRANSPORT_WS_64_TOP);
                    if (!shortest)
                        s_fail (self, WSLAY_CODE_PROTOCOL_ERROR);
                    s_scan_payload (self, self->scan_masked);
                }
                break;
            case TRANSPORT_WS_SCAN_MASK:
                index++;
                if (--self->scan_need == 0)
                    self->scan = self->scan_left? TRANSPORT_WS_SCAN_PAYLOAD
                                                : TRANSPORT_WS_SCAN_HEAD;
                break;
            case TRANSPORT_WS_SCAN_PAYLOAD: {
                uint64_t skip = MIN (self->scan_left, (uint64_t) (size - index));
                index += (size_t) skip;
                self->scan_left -= skip;
                if (self->scan_left == 0)
                    self->scan = TRANSPORT_WS_SCAN_HEAD;
                break;
            }
        }
    }
}

static ssize_t
s_recv (wslay_event_context_ptr context, uint8_t *buffer, size_t size, int flags,
        void *arg)
{
    (void) flags;
    transport_ws_t *self = (transport_ws_t *) arg;
    if (self->early_used < self->early_size) {
        size_t take = MIN (size, self->early_size - self->early_used);
        memcpy (buffer, self->early + self->early_used, take);
        self->early_used += take;
        self->heard = true;
        s_scan (self, buffer, take);
        return (ssize_t) take;
    }
    //  Enough decoded input waits: leave the rest in the socket (the
    //  loop is level-triggered, so it is read once this is taken)
    if (self->input_size - self->input_used >= TRANSPORT_WS_INPUT_MAX) {
        wslay_event_set_error (context, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    ssize_t got = self->lower->read (self->lower_state, self->fd, buffer, size);
    if (got > 0) {
        self->heard = true;
        s_scan (self, buffer, (size_t) got);
        return got;
    }
    if (got == 0)
        self->eof = true;
    else
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        self->error = errno;
    wslay_event_set_error (context, self->eof || self->error
                           ? WSLAY_ERR_CALLBACK_FAILURE: WSLAY_ERR_WOULDBLOCK);
    return -1;
}

static ssize_t
s_send (wslay_event_context_ptr context, const uint8_t *data, size_t size, int flags,
        void *arg)
{
    (void) flags;
    transport_ws_t *self = (transport_ws_t *) arg;
    ssize_t sent = self->lower->write (self->lower_state, self->fd, data, size);
    if (sent > 0)
        return sent;
    if (sent == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
        self->error = errno;
        wslay_event_set_error (context, WSLAY_ERR_CALLBACK_FAILURE);
    }
    else
        wslay_event_set_error (context, WSLAY_ERR_WOULDBLOCK);
    return -1;
}

//  Fail the connection with code: no more input, a close frame out.
static void
s_fail (transport_ws_t *self, uint16_t code)
{
    wslay_event_shutdown_read (self->context);
    wslay_event_queue_close (self->context, code, NULL, 0);
}

static void
s_input_append (transport_ws_t *self, const uint8_t *data, size_t size)
{
    if (self->input_used == self->input_size)
        self->input_used = self->input_size = 0;
    size_t needed = self->input_size + size + 1;
    if (needed > self->input_capacity) {
        size_t capacity = MAX (needed, self->input_capacity * 2);
        char *grown = (char *) realloc (self->input, capacity);
        assert (grown);         //  out of memory: nothing sensible to do
        self->input = grown;
        self->input_capacity = capacity;
    }
    char *line = self->input + self->input_size;
    if (size > 0)
        memcpy (line, data, size);      //  an empty message has no buffer

    for (size_t index = 0; index < size; index++)
        if (line [index] == '\r' || line [index] == '\n')
            line [index] = TRANSPORT_WS_NOT_A_LINE_END;
    line [size] = TRANSPORT_WS_LINE_END;
    self->input_size += size + 1;
}

//  True if size bytes are well-formed UTF-8 (control characters are the
//  client's line check's to refuse, with a notice; this is the frame rule).
static bool
s_utf8_valid (const uint8_t *data, size_t size)
{
    size_t index = 0;
    while (index < size) {
        size_t length;
        if (text_char (data + index, size - index, &length) == TEXT_CHAR_INVALID)
            return false;
        index += length;
    }
    return true;
}

static void
s_on_message (wslay_event_context_ptr context, const struct wslay_event_on_msg_recv_arg *arg,
              void *user)
{
    (void) context;
    transport_ws_t *self = (transport_ws_t *) user;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        if (s_utf8_valid (arg->msg, arg->msg_length))
            s_input_append (self, arg->msg, arg->msg_length);
        else
            s_fail (self, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA);
    }
    else
    if (arg->opcode == WSLAY_BINARY_FRAME)
        s_fail (self, WSLAY_CODE_UNSUPPORTED_DATA);
    //  Pings are answered and closes replied to by wslay; pongs only
    //  show the peer is there (heard)
}

static const struct wslay_event_callbacks s_callbacks = {
    .recv_callback = s_recv,
    .send_callback = s_send,
    .on_msg_recv_callback = s_on_message
};

//  --- the transport ------------------------------------------------------------

//  Send what wslay has queued; -1 (errno) when the lower transport broke.
static int
s_flush (transport_ws_t *self)
{
    if (self->lower->unsent && self->lower->unsent (self->lower_state) > 0
    &&  self->lower->write (self->lower_state, self->fd, NULL, 0) == -1
    &&  errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
    if (wslay_event_want_write (self->context) && wslay_event_send (self->context) != 0) {
        errno = self->error? self->error: EPIPE;
        return -1;
    }
    return 0;
}

//  Frames wslay queued by itself (pong, close reply, ping) need the
//  client to flush.
static void
s_wake (transport_ws_t *self)
{
    if (self->client && wslay_event_want_write (self->context))
        client_wake_output (self->client);
}

static size_t
s_pending (void *state)
{
    transport_ws_t *self = (transport_ws_t *) state;
    size_t lower = self->lower->pending? self->lower->pending (self->lower_state): 0;
    return (self->input_size - self->input_used) + (self->early_size - self->early_used) + lower;
}

//  The lower transport's needs (a TLS read that waits for writability).
static int
s_interest (void *state, int interest)
{
    transport_ws_t *self = (transport_ws_t *) state;
    return self->lower->interest? self->lower->interest (self->lower_state, interest): interest;
}

static int
s_events (void *state, int events)
{
    transport_ws_t *self = (transport_ws_t *) state;
    return self->lower->events? self->lower->events (self->lower_state, events): events;
}

static ssize_t
s_read (void *state, int fd, void *buffer, size_t size)
{
    (void) fd;
    transport_ws_t *self = (transport_ws_t *) state;
    if (self->input_used == self->input_size && !self->eof && !self->error
    &&  wslay_event_get_read_enabled (self->context)) {
        wslay_event_recv (self->context);
        if (!self->error && s_flush (self) == 0)
            s_wake (self);
    }
    size_t queued = self->input_size - self->input_used;
    if (queued > 0) {
        size_t take = MIN (size, queued);
        memcpy (buffer, self->input + self->input_used, take);
        self->input_used += take;
        return (ssize_t) take;
    }
    if (self->error) {
        errno = self->error;
        return -1;
    }
    //  The peer's close frame (answered), or input we refused: the end
    if (self->eof || !wslay_event_get_read_enabled (self->context))
        return 0;
    errno = EAGAIN;
    return -1;
}

//  Queue one output line (without its line end) as a text frame; for a
//  JSON client, a line that is not an event (the client module's own
//  notices) is wrapped as one (docs/PROTOCOL.md).
static void
s_queue_line (transport_ws_t *self, const char *line, size_t size)
{
    if (self->json && (size == 0 || line [0] != '{')) {
        if (!self->wrap)
            self->wrap = json_new ();   //  on first use: most clients never need it
        json_t *json = self->wrap;
        json_reset (json);
        json_object_start (json);
        size_t lagged = strlen (TRANSPORT_WS_LAGGED);
        size_t prefix = strlen (TRANSPORT_WS_ERROR);
        if (size > lagged && memcmp (line, TRANSPORT_WS_LAGGED, lagged) == 0) {
            json_key (json, "type");
            json_string (json, "lagged");
            json_key (json, "skipped");
            json_number (json, strtoull (line + lagged, NULL, 10));
        }
        else {
            json_key (json, "type");
            json_string (json, size >= prefix && memcmp (line, TRANSPORT_WS_NOTICE, prefix) == 0
                               ? "notice": "error");
        }
        bool prefixed = size >= prefix && (line [0] == '!' || line [0] == '*') && line [1] == ' ';
        json_key (json, "text");
        json_stringn (json, prefixed? line + prefix: line, prefixed? size - prefix: size);
        json_object_end (json);
        line = json_data (json);
        size = json_size (json);
    }
    struct wslay_event_msg message = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *) line, .msg_length = size
    };
    wslay_event_queue_msg (self->context, &message);
}

static ssize_t
s_write (void *state, int fd, const void *data, size_t size)
{
    (void) fd;
    transport_ws_t *self = (transport_ws_t *) state;
    if (!data) {
        if (s_flush (self))
            return -1;
        errno = EAGAIN;
        return wslay_event_want_write (self->context)? -1: 0;
    }
    //  After our close frame nothing more can be sent: take and drop
    if (!wslay_event_get_write_enabled (self->context) || wslay_event_get_close_sent (self->context))
        return (ssize_t) size;
    if (wslay_event_get_queued_msg_length (self->context) >= TRANSPORT_WS_QUEUE_MAX) {
        if (s_flush (self))
            return -1;
        if (wslay_event_get_queued_msg_length (self->context) >= TRANSPORT_WS_QUEUE_MAX) {
            errno = EAGAIN;
            return -1;
        }
    }
    const char *bytes = (const char *) data;
    size_t taken = 0;
    while (taken < size
    &&     wslay_event_get_queued_msg_length (self->context) < TRANSPORT_WS_QUEUE_MAX) {
        const char *end = (const char *) memchr (bytes + taken, '\n', size - taken);
        size_t next = end? (size_t) (end - bytes) + 1: size;
        size_t line = (end? (size_t) (end - bytes): size) - taken;
        if (line > 0 && bytes [taken + line - 1] == '\r')
            line--;
        s_queue_line (self, bytes + taken, line);
        taken = next;
    }
    if (s_flush (self))
        return -1;
    return (ssize_t) taken;
}

static size_t
s_unsent (void *state)
{
    transport_ws_t *self = (transport_ws_t *) state;
    size_t lower = self->lower->unsent? self->lower->unsent (self->lower_state): 0;
    //  After the close frame, what is still queued will never be sent
    if (!wslay_event_get_write_enabled (self->context))
        return lower;
    size_t queued = wslay_event_get_queued_msg_length (self->context);
    //  A frame partly sent is no longer counted as queued by wslay
    if (queued == 0 && wslay_event_want_write (self->context))
        queued = 1;
    return lower + queued;
}

//  The close code for a client's close reason (docs/PROTOCOL.md).
static uint16_t
s_close_code (int reason)
{
    switch ((client_close_reason_t) reason) {
        case CLIENT_CLOSE_DRAIN:
        case CLIENT_CLOSE_SHUTDOWN:
            return WSLAY_CODE_GOING_AWAY;
        case CLIENT_CLOSE_ERROR:
            return WSLAY_CODE_INTERNAL_SERVER_ERROR;
        case CLIENT_CLOSE_STUCK:
            return WSLAY_CODE_POLICY_VIOLATION;
        case CLIENT_CLOSE_REFUSED:
        case CLIENT_CLOSE_TIMEOUT:
            return TRANSPORT_WS_TRY_AGAIN;
        default:
            return WSLAY_CODE_NORMAL_CLOSURE;
    }
}

//  Count the close code we sent, once (a bounded label set).
static void
s_count_close (transport_ws_t *self)
{
    if (self->close_counted || !wslay_event_get_close_sent (self->context))
        return;
    self->close_counted = true;
    switch (wslay_event_get_status_code_sent (self->context)) {
        case WSLAY_CODE_NORMAL_CLOSURE:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1000); break;
        case WSLAY_CODE_GOING_AWAY:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1001); break;
        case WSLAY_CODE_PROTOCOL_ERROR:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1002); break;
        case WSLAY_CODE_UNSUPPORTED_DATA:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1003); break;
        case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1007); break;
        case WSLAY_CODE_MESSAGE_TOO_BIG:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_1009); break;
        default:
            GATEWAY_COUNT (GATEWAY_METRIC_WS_CLOSE_OTHER); break;
    }
}

static int
s_shutdown (void *state, int fd, int reason)
{
    transport_ws_t *self = (transport_ws_t *) state;
    if (!wslay_event_get_close_sent (self->context))
        wslay_event_queue_close (self->context, s_close_code (reason), NULL, 0);
    if (s_flush (self))
        return -1;
    if (wslay_event_want_write (self->context)) {
        errno = EAGAIN;
        return -1;
    }
    s_count_close (self);
    return self->lower->shutdown (self->lower_state, fd, reason);
}

static void
s_destroy (void *state)
{
    transport_ws_t *self = (transport_ws_t *) state;
    if (!self)
        return;
    s_count_close (self);
    if (self->ping_timer)
        loop_timer_cancel (self->loop, self->ping_timer);
    wslay_event_context_free (self->context);
    if (self->lower->destroy)
        self->lower->destroy (self->lower_state);
    json_destroy (&self->wrap);
    free (self->early);
    free (self->input);
    free (self);
}

const transport_ops_t transport_ws = {
    .name = "ws",
    .flags = 0,
    .read = s_read,
    .write = s_write,
    .unsent = s_unsent,
    .shutdown = s_shutdown,
    .pending = s_pending,
    .interest = s_interest,
    .events = s_events,
    .destroy = s_destroy
};

const transport_ops_t transport_ws_json = {
    .name = "ws",
    .flags = TRANSPORT_JSON,
    .read = s_read,
    .write = s_write,
    .unsent = s_unsent,
    .shutdown = s_shutdown,
    .pending = s_pending,
    .interest = s_interest,
    .events = s_events,
    .destroy = s_destroy
};

transport_ws_t *
transport_ws_new (loop_t *loop, int fd, const transport_ws_config_t *config,
                  const transport_ops_t *lower, void *lower_state, const char *early,
                  size_t size)
{
    assert (loop);
    assert (config);
    assert (lower);
    transport_ws_t *self = (transport_ws_t *) zmalloc (sizeof (transport_ws_t));
    if (!self || wslay_event_context_server_init (&self->context, &s_callbacks, self)) {
        free (self);
        if (lower->destroy)
            lower->destroy (lower_state);
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length (self->context, config->max_message);
    self->lower = lower;
    self->lower_state = lower_state;
    self->fd = fd;
    self->loop = loop;
    self->ping_interval_ms = config->ping_interval_ms;
    if (size > 0) {
        self->early = (char *) malloc (size);
        assert (self->early);
        memcpy (self->early, early, size);
        self->early_size = size;
    }
    return self;
}

//  Keepalive: a ping each interval; a peer that sent nothing at all
//  since the last one is gone (it would answer a ping with a pong).
static int
s_on_ping (loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    transport_ws_t *self = (transport_ws_t *) arg;
    if (self->ping_out && !self->heard) {
        zsys_info ("ws: no answer to ping id=%" PRIu64 ", closing", client_id (self->client));
        self->ping_timer = 0;
        client_close (self->client, CLIENT_CLOSE_ERROR);
        return -1;
    }
    self->heard = false;
    self->ping_out = true;
    struct wslay_event_msg ping = { .opcode = WSLAY_PING, .msg = NULL, .msg_length = 0 };
    if (wslay_event_queue_msg (self->context, &ping) == 0)
        s_wake (self);
    return 0;
}

void
transport_ws_start (transport_ws_t *self, client_t *client)
{
    assert (self);
    assert (client);
    self->client = client;
    self->json = (client_transport_flags (client) & TRANSPORT_JSON) != 0;
    if (self->ping_interval_ms > 0)
        self->ping_timer = loop_timer_add (self->loop, self->ping_interval_ms, true,
                                           s_on_ping, self);
}

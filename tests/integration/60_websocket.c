/*  =========================================================================
    60_websocket.c - WebSocket clients are clients like any other

    A raw WebSocket client (frames by hand, no library) on --http-listen
    chats with a telnet client; the router's drain sends it the shutdown
    notice as a text frame, then a close frame with 1001, then FIN; the
    idle timeout and flood control reach it through client.c as for
    telnet (the warning, "slow down", every line delivered in order).
    tests/ws/ has the protocol checks with strict clients; this runs with
    the harness, so under SANITIZE too.
    =========================================================================
*/
#define _GNU_SOURCE                 //  memmem: the handshake answer is bytes
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define WS_BUFFER           65536
#define WS_TEXT             0x1
#define WS_CLOSE            0x8
#define WS_FIN              0x80
#define WS_MASK             0x80
#define WS_SHORT_MAX        125
#define WS_LENGTH_16        126
#define WS_LENGTH_64        127
#define WS_GOING_AWAY       1001
#define WS_NORMAL           1000
#define WS_CLOSE_MS         12000
#define WS_UPGRADE \
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
#define WS_ACCEPT           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"

static const char *s_router_flags [] = { "--drain-timeout", "5", NULL };

typedef struct {
    int fd;
    uint8_t data [WS_BUFFER];       //  bytes read, not yet taken
    size_t size;
} ws_client_t;

//  Read more within timeout_ms; false at EOF or timeout.
static bool
s_fill (ws_client_t *self, int timeout_ms)
{
    struct pollfd poller = { .fd = self->fd, .events = POLLIN };
    if (poll (&poller, 1, timeout_ms) <= 0)
        return false;
    ssize_t got = read (self->fd, self->data + self->size, sizeof (self->data) - self->size);
    if (got <= 0)
        return false;
    self->size += (size_t) got;
    return true;
}

static void
s_take (ws_client_t *self, size_t size)
{
    memmove (self->data, self->data + size, self->size - size);
    self->size -= size;
}

//  Connect and upgrade (the RFC's sample key, so the accept is known).
static ws_client_t *
s_ws_connect (int port)
{
    ws_client_t *self = calloc (1, sizeof (ws_client_t));
    assert_non_null (self);
    self->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (self->fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (write (self->fd, WS_UPGRADE, strlen (WS_UPGRADE)), strlen (WS_UPGRADE));
    while (!memmem (self->data, self->size, "\r\n\r\n", 4))
        assert_true (s_fill (self, HARNESS_TIMEOUT_MS));
    uint8_t *end = memmem (self->data, self->size, "\r\n\r\n", 4);
    size_t head = (size_t) (end - self->data) + 4;
    assert_memory_equal (self->data, "HTTP/1.1 101 ", strlen ("HTTP/1.1 101 "));
    assert_non_null (memmem (self->data, head, WS_ACCEPT, strlen (WS_ACCEPT)));
    s_take (self, head);
    return self;
}

static void
s_ws_destroy (ws_client_t **self_p)
{
    close ((*self_p)->fd);
    free (*self_p);
    *self_p = NULL;
}

//  Send one masked text frame.
static void
s_ws_send (ws_client_t *self, const char *text)
{
    size_t size = strlen (text);
    assert_true (size <= WS_SHORT_MAX);
    uint8_t frame [WS_SHORT_MAX + 6];
    const uint8_t key [4] = { 0x12, 0x34, 0x56, 0x78 };
    frame [0] = WS_FIN | WS_TEXT;
    frame [1] = WS_MASK | (uint8_t) size;
    memcpy (frame + 2, key, 4);
    for (size_t index = 0; index < size; index++)
        frame [6 + index] = (uint8_t) text [index] ^ key [index % 4];
    assert_int_equal (write (self->fd, frame, size + 6), (ssize_t) (size + 6));
}

//  The next frame (server frames are never masked): its opcode, and its
//  payload NUL-terminated into payload (WS_BUFFER bytes). -1 at EOF or
//  timeout.
static int
s_ws_next (ws_client_t *self, char *payload, int timeout_ms)
{
    while (true) {
        if (self->size >= 2) {
            assert_int_equal (self->data [1] & WS_MASK, 0);
            size_t length = self->data [1] & 0x7F;
            size_t offset = 2;
            assert_true (length != WS_LENGTH_64);
            bool known = true;
            if (length == WS_LENGTH_16) {
                known = self->size >= 4;
                if (known)
                    length = ((size_t) self->data [2] << 8) | self->data [3];
                offset = 4;
            }
            assert_true (length < WS_BUFFER);
            if (known && self->size >= offset + length) {
                int opcode = self->data [0] & 0x0F;
                memcpy (payload, self->data + offset, length);
                payload [length] = 0;
                s_take (self, offset + length);
                return opcode;
            }
        }
        if (!s_fill (self, timeout_ms))
            return -1;
    }
}

//  Text frames until one holds text; fails if the connection ends first.
static void
s_ws_expect (ws_client_t *self, const char *text)
{
    char payload [WS_BUFFER];
    while (true) {
        int opcode = s_ws_next (self, payload, HARNESS_TIMEOUT_MS);
        if (opcode == -1)
            fprintf (stderr, "60_websocket: no frame with \"%s\"\n", text);
        assert_int_not_equal (opcode, -1);
        if (opcode == WS_TEXT && strstr (payload, text))
            return;
    }
}

//  Frames until the close frame: returns its code, after checking that
//  EOF follows it.
static int
s_ws_close_code (ws_client_t *self, int timeout_ms)
{
    char payload [WS_BUFFER];
    int opcode;
    while ((opcode = s_ws_next (self, payload, timeout_ms)) != WS_CLOSE)
        assert_int_not_equal (opcode, -1);
    int code = ((uint8_t) payload [0] << 8) | (uint8_t) payload [1];
    char rest [16];
    struct pollfd poller = { .fd = self->fd, .events = POLLIN };
    assert_int_equal (poll (&poller, 1, timeout_ms), 1);
    assert_int_equal (read (self->fd, rest, sizeof rest), 0);      //  then FIN
    return code;
}

static harness_proc_t *
s_system (harness_t *harness, harness_proc_t **gateway, const char **gateway_flags)
{
    harness_proc_t *gateways [1];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways, 1,
                                                   gateway_flags);
    assert_non_null (router);
    *gateway = gateways [0];
    assert_true (harness_gateway_port_named (*gateway, "http") > 0);
    return router;
}

//  Chat both ways with telnet, then the drain: notice, 1001, FIN.
static void
test_websocket_chat_and_drain (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    const char *flags [] = { "--http-listen", "127.0.0.1:0", NULL };
    harness_proc_t *router = s_system (harness, &gateway, flags);
    harness_client_t *telnet = harness_login (harness, gateway);
    assert_non_null (telnet);
    assert_true (harness_set_nick (telnet, "tess"));
    ws_client_t *ws = s_ws_connect (harness_gateway_port_named (gateway, "http"));
    s_ws_expect (ws, "* Welcome to zchat, ");
    s_ws_send (ws, "/nick webb");
    s_ws_expect (ws, "is now known as webb");
    s_ws_send (ws, "hello over frames");
    assert_non_null (harness_expect (telnet, "[general] webb: hello over frames",
                                     HARNESS_TIMEOUT_MS));
    harness_send (telnet, "hello over telnet");
    s_ws_expect (ws, "[general] tess: hello over telnet");

    harness_proc_signal (router, SIGTERM);
    s_ws_expect (ws, "* Server shutting down...");
    assert_int_equal (s_ws_close_code (ws, WS_CLOSE_MS), WS_GOING_AWAY);
    s_ws_destroy (&ws);
    assert_int_equal (harness_read_to_end (telnet, WS_CLOSE_MS), HARNESS_EOF);
    assert_true (harness_proc_wait (gateway, WS_CLOSE_MS) != -1);
    assert_true (harness_proc_clean (gateway));
    assert_true (harness_proc_wait (router, WS_CLOSE_MS) != -1);
    assert_true (harness_proc_clean (router));
}

//  The idle timeout: the warning as a text frame, then the close.
static void
test_websocket_idle (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    const char *flags [] = { "--http-listen", "127.0.0.1:0", "--idle-timeout", "2",
                             "--idle-warning", "1", "--ws-ping-interval", "0", NULL };
    s_system (harness, &gateway, flags);
    ws_client_t *ws = s_ws_connect (harness_gateway_port_named (gateway, "http"));
    s_ws_expect (ws, "* Welcome to zchat, ");
    s_ws_expect (ws, "for inactivity");
    s_ws_expect (ws, "! idle for 2 seconds, disconnecting");
    assert_int_equal (s_ws_close_code (ws, WS_CLOSE_MS), WS_NORMAL);
    s_ws_destroy (&ws);
}

//  Flood control: past the burst a sender is slowed and told once;
//  every line still arrives, in order.
static void
test_websocket_flood (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    const char *flags [] = { "--http-listen", "127.0.0.1:0", "--rate-lines", "20",
                             "--rate-burst", "2", NULL };
    s_system (harness, &gateway, flags);
    harness_client_t *telnet = harness_login (harness, gateway);
    assert_non_null (telnet);
    ws_client_t *ws = s_ws_connect (harness_gateway_port_named (gateway, "http"));
    s_ws_expect (ws, "* Welcome to zchat, ");
    s_ws_send (ws, "/nick fast");
    s_ws_expect (ws, "is now known as fast");
    char line [64];
    for (int index = 0; index < 8; index++) {
        snprintf (line, sizeof line, "flood %d", index);
        s_ws_send (ws, line);
    }
    s_ws_expect (ws, "! slow down");
    for (int index = 0; index < 8; index++) {
        snprintf (line, sizeof line, "[general] fast: flood %d", index);
        assert_non_null (harness_expect (telnet, line, HARNESS_TIMEOUT_MS));
    }
    s_ws_destroy (&ws);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_websocket_chat_and_drain, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_websocket_idle, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_websocket_flood, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

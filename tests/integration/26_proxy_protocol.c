/*  =========================================================================
    26_proxy_protocol.c - real client addresses behind the balancer

    A gateway with --proxy-protocol --trusted-proxy 127.0.0.1 and a cap
    of 2 per address (loopback not exempt). Connections from 127.0.0.1
    play the balancer: each starts with a PROXY v2 header. The cap
    applies per carried address, not per balancer: two from 192.0.2.10
    get in, the third is refused, one from 192.0.2.11 gets in, and the
    connect log lines name the carried addresses. A plain client on the
    PROXY-only port, a malformed header, a header that never completes
    and a sender that is not trusted (127.0.0.2) each get one refusal
    line and a close; the gateway serves on, and its health port works.
    =========================================================================
*/
#define _GNU_SOURCE                 //  memmem: received bytes hold telnet NULs
#include "harness.h"
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define PROXY_SIGNATURE     "\r\n\r\n\0\r\nQUIT\n"
#define PROXY_SIGNATURE_SIZE 12
#define PROXY_V2_PROXY      0x21
#define PROXY_TCP4          0x11
#define PROXY_V4_BODY       12
#define PROXY_HEADER_SIZE   (16 + PROXY_V4_BODY)
#define PROXY_BUFFER        8192
#define PROXY_CLIENT_PORT   40000
#define PROXY_WAIT_MS       10000   //  the gateway's header deadline (5 s) and then some
#define PROXY_TOO_MANY      "! too many connections from your address"
#define PROXY_WELCOME       "* Welcome to zchat, "

static const char *s_flags [] = {
    "--proxy-protocol", "--trusted-proxy", "127.0.0.1/32", "--admission-exempt", "",
    "--max-per-ip", "2", "--connect-rate-per-ip", "0", NULL
};

typedef struct {
    int fd;
    char received [PROXY_BUFFER];
    size_t size;
    bool closed;
} s_conn_t;

//  Connect from source to the gateway.
static void
s_connect (s_conn_t *conn, harness_proc_t *gateway, const char *source)
{
    memset (conn, 0, sizeof (*conn));
    conn->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (conn->fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    assert_int_equal (inet_pton (AF_INET, source, &address.sin_addr), 1);
    assert_int_equal (bind (conn->fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (inet_pton (AF_INET, "127.0.0.1", &address.sin_addr), 1);
    address.sin_port = htons ((uint16_t) harness_gateway_port (gateway));
    assert_int_equal (connect (conn->fd, (struct sockaddr *) &address, sizeof address), 0);
}

static void
s_send (s_conn_t *conn, const void *data, size_t size)
{
    assert_int_equal (send (conn->fd, data, size, MSG_NOSIGNAL), (ssize_t) size);
}

//  A PROXY v2 header for a TCP4 client at client_address:port.
static void
s_send_header (s_conn_t *conn, const char *client_address, uint16_t port)
{
    uint8_t header [PROXY_HEADER_SIZE];
    memcpy (header, PROXY_SIGNATURE, PROXY_SIGNATURE_SIZE);
    header [12] = PROXY_V2_PROXY;
    header [13] = PROXY_TCP4;
    header [14] = 0;
    header [15] = PROXY_V4_BODY;
    assert_int_equal (inet_pton (AF_INET, client_address, header + 16), 1);
    inet_pton (AF_INET, "127.0.0.1", header + 20);
    uint16_t ports [2] = { htons (port), htons (PROXY_CLIENT_PORT) };
    memcpy (header + 24, ports, sizeof ports);
    s_send (conn, header, sizeof header);
}

//  Read until text arrived or the connection closed or the deadline.
static bool
s_wait (s_conn_t *conn, const char *text, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (!conn->closed && harness_now () < deadline) {
        if (text && memmem (conn->received, conn->size, text, strlen (text)))
            return true;
        struct pollfd item = { conn->fd, POLLIN, 0 };
        if (poll (&item, 1, (int) (deadline - harness_now ())) <= 0)
            break;
        ssize_t got = read (conn->fd, conn->received + conn->size,
                            sizeof conn->received - 1 - conn->size);
        if (got <= 0)
            conn->closed = true;
        else
            conn->size += (size_t) got;
    }
    conn->received [conn->size] = 0;
    return text && memmem (conn->received, conn->size, text, strlen (text));
}

//  The connection got exactly line (and CRLF) and then an orderly close.
static void
s_assert_refused (s_conn_t *conn, const char *line)
{
    s_wait (conn, NULL, PROXY_WAIT_MS);
    assert_true (conn->closed);
    char expected [PROXY_BUFFER];
    snprintf (expected, sizeof expected, "%s\r\n", line);
    if (strcmp (conn->received, expected) != 0)
        fprintf (stderr, "proxy: got '%s'\n", conn->received);
    assert_string_equal (conn->received, expected);
    close (conn->fd);
}

static void
test_real_addresses (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, s_flags));
    //  Two from 192.0.2.10 through the balancer: in; the header and the
    //  first line may come in one piece
    s_conn_t first, second, third, other;
    s_connect (&first, gateway, "127.0.0.1");
    s_send_header (&first, "192.0.2.10", 1111);
    assert_true (s_wait (&first, PROXY_WELCOME, HARNESS_TIMEOUT_MS));
    s_connect (&second, gateway, "127.0.0.1");
    s_send_header (&second, "192.0.2.10", 2222);
    s_send (&second, "/nick realbob\r\n", 15);
    assert_true (s_wait (&second, "is now known as realbob", HARNESS_TIMEOUT_MS));
    //  The third from the same real address is refused; the balancer's
    //  own address is not what counts
    s_connect (&third, gateway, "127.0.0.1");
    s_send_header (&third, "192.0.2.10", 3333);
    s_assert_refused (&third, PROXY_TOO_MANY);
    s_connect (&other, gateway, "127.0.0.1");
    s_send_header (&other, "192.0.2.11", 4444);
    assert_true (s_wait (&other, PROXY_WELCOME, HARNESS_TIMEOUT_MS));
    //  The logs name the clients, not the balancer
    assert_true (harness_proc_wait_log (gateway, "client: connected id=1 addr=192.0.2.10:1111",
                                        HARNESS_TIMEOUT_MS));
    assert_true (harness_proc_wait_log (gateway, "addr=192.0.2.10:2222", HARNESS_TIMEOUT_MS));
    assert_true (harness_proc_wait_log (gateway, "addr=192.0.2.11:4444", HARNESS_TIMEOUT_MS));
    assert_true (harness_proc_wait_log (gateway, "admission: refused addr=192.0.2.10 reason=too-many",
                                        HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (gateway, "addr=127.0.0.1"), 0);
    close (first.fd);
    close (second.fd);
    close (other.fd);
}

static void
test_refusals (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, s_flags));
    s_conn_t conn;
    //  A plain client on the PROXY-only port
    s_connect (&conn, gateway, "127.0.0.1");
    s_send (&conn, "/nick bob\r\n", 11);
    s_assert_refused (&conn, "! bad PROXY protocol header");
    //  A malformed header: the signature, then a v1-style version
    s_connect (&conn, gateway, "127.0.0.1");
    s_send (&conn, PROXY_SIGNATURE "\x11\x11\x00\x0c", PROXY_SIGNATURE_SIZE + 4);
    s_assert_refused (&conn, "! bad PROXY protocol header");
    //  A header that stops half way: refused at the deadline, and the
    //  loop serves others meanwhile
    s_conn_t slow;
    s_connect (&slow, gateway, "127.0.0.1");
    s_send (&slow, PROXY_SIGNATURE, 6);
    s_conn_t ok;
    s_connect (&ok, gateway, "127.0.0.1");
    s_send_header (&ok, "198.51.100.1", 5555);
    assert_true (s_wait (&ok, PROXY_WELCOME, HARNESS_TIMEOUT_MS));
    s_assert_refused (&slow, "! no PROXY protocol header in time");
    //  A sender that is not a trusted balancer
    s_connect (&conn, gateway, "127.0.0.2");
    s_send_header (&conn, "192.0.2.10", 6666);
    s_assert_refused (&conn, "! this port takes connections through the load balancer only");
    assert_true (harness_proc_wait_log (gateway, "proxy: refused addr=127.0.0.2 reason=untrusted",
                                        HARNESS_TIMEOUT_MS));
    //  Still serving
    s_send (&ok, "/who\r\n", 6);
    assert_true (s_wait (&ok, "* #general (1): ", HARNESS_TIMEOUT_MS));
    close (ok.fd);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_real_addresses, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_refusals, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

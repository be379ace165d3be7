/*  =========================================================================
    31_stuck_kernel_memory.c - what readers that never read cost the kernel

    A thousand clients connect and never read while their room is busy.
    Each is closed only after --stuck-timeout (longer than this test), so
    until then the gateway's own queue (--outbuf-max) and the kernel's
    send queue hold what they could not take. The kernel's part is
    bounded by --sndbuf (SO_SNDBUF at accept) and counted in the cap:
    total TCP socket memory (/proc/net/sockstat "mem", pages, for the
    whole machine, so measured as growth from before they connected) and
    the gateway's RSS stay under bounds stated below, which the kernel's
    autotuning (megabytes of send queue per socket) breaks.

    The never-reading clients' own receive buffers count in sockstat too:
    they ask for a small SO_RCVBUF before connecting, and the bound
    allows for it. --sndbuf goes in through ZCHAT_SNDBUF so the same test
    runs against a gateway without the setting (to measure the figure
    without it).
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#define STUCK_CLIENTS       1000
#define STUCK_RCVBUF        4096        //  the never-readers' SO_RCVBUF (kernel doubles it)
#define STUCK_SNDBUF        "16384"     //  gateway --sndbuf, via ZCHAT_SNDBUF
#define STUCK_SNDBUF_BYTES  16384
#define STUCK_OUTBUF        32768       //  gateway --outbuf-max
#define STUCK_LINES         400         //  busy room: lines of...
#define STUCK_TEXT_SIZE     1000        //  ...this many bytes: 400 KB to each client
#define STUCK_PAGE_KB       4
#define STUCK_KB            1024
//  Kernel memory per never-reader: Linux books twice SO_SNDBUF for the
//  gateway side's send queue and twice SO_RCVBUF for the client side's
//  receive queue (40 KiB here; about 47 KiB is measured, small packets'
//  overhead overshooting the booking). The bound is twice the booking
//  plus slack, as sockstat counts every socket on the machine. Without
//  --sndbuf the kernel holds everything sent: about 577 KiB each here,
//  and up to ~2.7 MiB each (autotuning) in a busier room.
#define STUCK_BOOKED_KB     ((2 * STUCK_SNDBUF_BYTES + 2 * STUCK_RCVBUF) / STUCK_KB)
#define STUCK_SLACK_KB      16
#define STUCK_SOCKET_KB     (2 * STUCK_BOOKED_KB + STUCK_SLACK_KB)
//  Gateway RSS growth per never-reader: at most its queue, plus its
//  client and session records and allocator slack; more under ASan
#define STUCK_RSS_BASE_KB   (64 * STUCK_KB)
#define STUCK_CLIENT_KB     (STUCK_OUTBUF / STUCK_KB + 8)
#define STUCK_SANITIZED     3           //  RSS factor under a sanitizer
#define STUCK_WAIT_MS       60000       //  logins of a thousand clients, the flood
#define STUCK_PREFIX_MAX    64          //  bytes of "[general] sender: "
#define STUCK_SOCKSTAT_LINE 256         //  bytes of a /proc/net/sockstat line
#define STUCK_SOCKSTAT_TCP  "TCP:"

//  Flood control off: the sender is a load (a busy room), not a person
static const char *s_gateway_flags [] = {
    "--stuck-timeout", "600", "--outbuf-max", "32768", "--idle-timeout", "0",
    "--rate-lines", "0", NULL
};

//  TCP "mem" of /proc/net/sockstat, in pages; -1 if unreadable.
static long
s_tcp_pages (void)
{
    FILE *file = fopen ("/proc/net/sockstat", "r");
    if (!file)
        return -1;
    char line [STUCK_SOCKSTAT_LINE];
    long pages = -1;
    while (fgets (line, sizeof line, file)) {
        const char *mem = strstr (line, " mem ");
        if (strncmp (line, STUCK_SOCKSTAT_TCP, strlen (STUCK_SOCKSTAT_TCP)) == 0 && mem)
            pages = atol (mem + strlen (" mem "));
    }
    fclose (file);
    return pages;
}

//  A client that never reads: small receive buffer, set before connect.
static int
s_connect_never_reader (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    int rcvbuf = STUCK_RCVBUF;
    assert_int_equal (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof address), 0);
    return fd;
}

static void
test_never_readers_bounded (void **state)
{
    harness_t *harness = *state;
    harness_child_env (harness, "ZCHAT_SNDBUF", STUCK_SNDBUF);
    harness_proc_t *router = harness_router_start (harness, NULL);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_gateway_flags);
    assert_non_null (gateway);
    harness_client_t *sender = harness_login (harness, gateway);
    harness_client_t *reader = harness_login (harness, gateway);
    assert_non_null (sender);
    assert_non_null (reader);
    assert_true (harness_set_nick (sender, "sender"));

    long pages_before = s_tcp_pages ();
    long rss_before = harness_proc_rss_kb (gateway);
    assert_true (pages_before >= 0 && rss_before > 0);
    int *never = calloc (STUCK_CLIENTS, sizeof (int));
    assert_non_null (never);
    for (int index = 0; index < STUCK_CLIENTS; index++)
        never [index] = s_connect_never_reader (harness_gateway_port (gateway));
    assert_true (harness_wait_status (harness, router, "sessions", STUCK_CLIENTS + 2,
                                      STUCK_WAIT_MS));

    //  The room is busy: each line reaches the reader (which keeps up)
    //  before the next goes, so every never-reader was offered all of them
    char text [STUCK_TEXT_SIZE + 1];
    char expected [STUCK_TEXT_SIZE + STUCK_PREFIX_MAX];
    for (int line = 0; line < STUCK_LINES; line++) {
        int size = snprintf (text, sizeof text, "line %d ", line);
        memset (text + size, 'x', STUCK_TEXT_SIZE - (size_t) size);
        text [STUCK_TEXT_SIZE] = 0;
        assert_int_equal (harness_send (sender, "%s", text), 0);
        snprintf (expected, sizeof expected, "[general] sender: %s", text);
        assert_non_null (harness_expect (reader, expected, STUCK_WAIT_MS));
        harness_clear (reader);
    }
    long pages_after = s_tcp_pages ();
    long rss_after = harness_proc_rss_kb (gateway);
    long socket_kb = (pages_after - pages_before) * STUCK_PAGE_KB;
    long socket_bound_kb = (long) STUCK_CLIENTS * STUCK_SOCKET_KB;
    bool sanitized = harness_proc_sanitized (gateway);
    long rss_bound_kb = (STUCK_RSS_BASE_KB + (long) STUCK_CLIENTS * STUCK_CLIENT_KB)
                      * (sanitized? STUCK_SANITIZED: 1);
    fprintf (stderr, "stuck memory: %d never-readers, %d lines of %d bytes each: "
             "TCP mem %ld -> %ld pages (+%ld KiB, %.1f KiB per client; bound %ld KiB); "
             "gateway rss %ld -> %ld KiB (+%ld; bound %ld KiB%s)\n",
             STUCK_CLIENTS, STUCK_LINES, STUCK_TEXT_SIZE, pages_before, pages_after,
             socket_kb, (double) socket_kb / STUCK_CLIENTS, socket_bound_kb,
             rss_before, rss_after, rss_after - rss_before, rss_bound_kb,
             sanitized? ", sanitized": "");
    assert_true (socket_kb < socket_bound_kb);
    assert_true (rss_after - rss_before < rss_bound_kb);

    //  The gateway still serves: the sender's next line reaches the reader
    assert_int_equal (harness_send (sender, "after"), 0);
    assert_non_null (harness_expect (reader, "[general] sender: after", HARNESS_TIMEOUT_MS));
    for (int index = 0; index < STUCK_CLIENTS; index++)
        close (never [index]);
    free (never);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_never_readers_bounded, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

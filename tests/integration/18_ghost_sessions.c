/*  =========================================================================
    18_ghost_sessions.c - a client that queues 100 000 joins and leaves

    bob sends 100 000 "/join roomN" lines and closes his side. The
    gateway used to hold his input while each join was in flight and so
    stop reading his socket: his FIN was never seen, and his session went
    on joining rooms, one every ~100 ms, for hours (socket in CLOSE-WAIT,
    the idle timeout never firing, since every join was a line). Now a
    client's queued input is bounded (--hold-max; past it lines are
    dropped), so his socket is read to the end, and once his FIN is seen
    his session ends within the linger time. The gateway closes him, the
    router forgets his session, and the gateway's client count (its
    health port) is back to alice alone.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define GHOST_JOINS         100000
#define GHOST_LINE_MAX      32          //  "/join room99999\r\n" and then some
#define GHOST_SEND_MS       30000       //  writing it all (the gateway reads on)
#define GHOST_END_MS        30000       //  his session ends, well within this
#define GHOST_POLL_MS       100
#define GHOST_TEXT          128
#define GHOST_ADDRESS_MAX   64

//  The gateway's client count, from its health port ("ok clients=N").
static long
s_health_clients (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    address.sin_port = htons ((uint16_t) port);
    long clients = -1;
    char answer [GHOST_TEXT] = "";
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0) {
        ssize_t size = read (fd, answer, sizeof answer - 1);
        if (size > 0) {
            answer [size] = 0;
            const char *at = strstr (answer, "clients=");
            if (at)
                clients = strtol (at + strlen ("clients="), NULL, 10);
        }
    }
    close (fd);
    return clients;
}

static bool
s_wait_health (int port, long clients, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    while (harness_now () < deadline) {
        if (s_health_clients (port) == clients)
            return true;
        poll (NULL, 0, GHOST_POLL_MS);
    }
    return false;
}

static void
test_joins_then_gone (void **state)
{
    harness_t *harness = *state;
    int health_port = harness_fixed_port ();
    char health [GHOST_ADDRESS_MAX];
    snprintf (health, sizeof health, "127.0.0.1:%d", health_port);
    //  Flood control off: this is the --hold-max path, where the gateway
    //  reads on and drops; with it on, bob is not read at all and his FIN
    //  is seen all the same (24_flood_control, test_flooder_leaves)
    const char *flags [] = { "--health-listen", health, "--rate-lines", "0", NULL };
    harness_proc_t *gateways [1];
    harness_proc_t *router = harness_start_system (harness, NULL, gateways, 1, flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [0]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_true (harness_wait_status (harness, router, "sessions", 2, HARNESS_TIMEOUT_MS));

    char *joins = malloc ((size_t) GHOST_JOINS * GHOST_LINE_MAX);
    assert_non_null (joins);
    size_t total = 0;
    for (int index = 0; index < GHOST_JOINS; index++)
        total += (size_t) sprintf (joins + total, "/join room%d\r\n", index);
    size_t sent = 0;
    int64_t deadline = harness_now () + GHOST_SEND_MS;
    while (sent < total && harness_now () < deadline) {
        struct pollfd item = { harness_client_fd (bob), POLLOUT, 0 };
        poll (&item, 1, GHOST_POLL_MS);
        ssize_t written = harness_write_some (bob, joins + sent, total - sent);
        assert_true (written >= 0);
        sent += (size_t) written;
    }
    free (joins);
    fprintf (stderr, "ghost: bob wrote %zu of %zu bytes\n", sent, total);
    assert_int_equal (shutdown (harness_client_fd (bob), SHUT_WR), 0);
    int64_t closed_at = harness_now ();
    harness_end_t end = harness_read_to_end (bob, GHOST_END_MS);
    fprintf (stderr, "ghost: the gateway closed bob %" PRId64 " ms after his FIN (%s)\n",
             harness_now () - closed_at, end == HARNESS_EOF? "EOF":
             end == HARNESS_RESET? "reset": "still open");
    assert_int_equal (end, HARNESS_EOF);
    assert_int_equal (sent, total);
    assert_true (harness_wait_status (harness, router, "sessions", 1, GHOST_END_MS));
    assert_true (s_wait_health (health_port, 1, GHOST_END_MS));
    //  alice is unaffected
    assert_int_equal (harness_send (alice, "/who"), 0);
    char who [GHOST_TEXT];
    snprintf (who, sizeof who, "* #general (1): %s", harness_client_nick (alice));
    assert_non_null (harness_expect (alice, who, HARNESS_TIMEOUT_MS));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_joins_then_gone, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

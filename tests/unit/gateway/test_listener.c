/*  =========================================================================
    test_listener.c - the listening socket, over real loopback TCP

    Binds 127.0.0.1:0, connects with plain blocking sockets, and runs the
    loop in short bounded bursts. Covers address parsing, a busy port,
    accepting into the client set, and refusal over max_clients.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <netinet/tcp.h>
#include "listener.h"

#define RUN_MS      20

typedef struct {
    int lines;
    int closed;
} s_owner_t;

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    (void) line;
    (void) size;
    ((s_owner_t *) owner)->lines++;
    client_write (client, "echo\r\n", 6);
    return 0;
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    (void) client;
    (void) reason;
    ((s_owner_t *) owner)->closed++;
}

static int
s_stop (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    (void) arg;
    loop_stop (loop);
    return -1;
}

static void
s_run (loop_t *loop)
{
    loop_timer_add (loop, RUN_MS, false, s_stop, NULL);
    loop_run (loop);
}

static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof (address)), 0);
    struct timeval timeout = { .tv_sec = 1 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    return fd;
}

typedef struct {
    loop_t *loop;
    client_set_t *clients;
    s_owner_t owner;
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) calloc (1, sizeof (s_fixture_t));
    fixture->loop = loop_new ();
    client_limits_t limits = { .max_line = 64, .outbuf_max = 4096, .linger_ms = 100 };
    client_events_t events = { s_on_line, s_on_closed, NULL, NULL, NULL };
    fixture->clients = client_set_new (fixture->loop, &limits, &events, &fixture->owner);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    client_set_destroy (&fixture->clients);
    loop_destroy (&fixture->loop);
    free (fixture);
    return 0;
}

static void
test_bad_addresses (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    const char *bad [] = {
        "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:-1",
        "127.0.0.1:80x", "[::1:0", "[::1]0"
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++)
        assert_null (listener_new (fixture->loop, bad [index], 16, fixture->clients, 10));
    //  IPv6 loopback, where the host has it
    listener_t *ipv6 = listener_new (fixture->loop, "[::1]:0", 16, fixture->clients, 10);
    if (ipv6)
        assert_true (listener_port (ipv6) > 0);
    listener_destroy (&ipv6);
    listener_t *none = NULL;
    listener_destroy (&none);                   //  NULL-safe
}

static void
test_bind_port_zero_and_accept (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    listener_t *listener = listener_new (fixture->loop, "127.0.0.1:0", 16,
                                         fixture->clients, 10);
    assert_non_null (listener);
    int port = listener_port (listener);
    assert_true (port > 0);
    //  The same port again is busy
    char address [32];
    snprintf (address, sizeof (address), "127.0.0.1:%d", port);
    assert_null (listener_new (fixture->loop, address, 16, fixture->clients, 10));

    int first = s_connect (port);
    int second = s_connect (port);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 2);
    assert_int_equal (write (first, "hi\r\n", 4), 4);
    s_run (fixture->loop);
    assert_int_equal (fixture->owner.lines, 1);
    char buffer [64];
    assert_int_equal (read (first, buffer, sizeof (buffer)), 6);
    assert_memory_equal (buffer, "echo\r\n", 6);

    listener_destroy (&listener);
    listener_destroy (&listener);
    assert_null (listener);
    //  Accepted clients outlive the listener
    assert_int_equal (client_set_size (fixture->clients), 2);
    close (first);
    close (second);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 0);
    assert_int_equal (fixture->owner.closed, 2);
}

static void
test_full_refuses (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    listener_t *listener = listener_new (fixture->loop, ":0", 16, fixture->clients, 1);
    assert_non_null (listener);
    int port = listener_port (listener);
    int first = s_connect (port);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 1);
    int second = s_connect (port);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 1);
    char buffer [64];
    const char *notice = "! server full, try again later\r\n";
    ssize_t size = read (second, buffer, sizeof (buffer));
    assert_int_equal (size, strlen (notice));
    assert_memory_equal (buffer, notice, size);
    assert_int_equal (read (second, buffer, sizeof (buffer)), 0);       //  then EOF
    close (second);
    close (first);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 0);
    //  Room again: the next one is accepted
    int third = s_connect (port);
    s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 1);
    close (third);
    listener_destroy (&listener);
}

#define TEST_FD_SCAN_MAX    4096    //  descriptors to look through for the accepted one

//  The gateway's end of the connection client made: the descriptor in this
//  process whose local address is client's peer and whose peer is client.
static int
s_accepted_fd (int client)
{
    struct sockaddr_in mine, theirs, local, peer;
    socklen_t size = sizeof (mine);
    assert_int_equal (getsockname (client, (struct sockaddr *) &mine, &size), 0);
    size = sizeof (theirs);
    assert_int_equal (getpeername (client, (struct sockaddr *) &theirs, &size), 0);
    for (int fd = 0; fd < TEST_FD_SCAN_MAX; fd++) {
        size = sizeof (local);
        if (fd == client || getsockname (fd, (struct sockaddr *) &local, &size) != 0
        ||  local.sin_family != AF_INET || local.sin_port != theirs.sin_port)
            continue;
        size = sizeof (peer);
        if (getpeername (fd, (struct sockaddr *) &peer, &size) == 0
        &&  peer.sin_port == mine.sin_port && peer.sin_addr.s_addr == mine.sin_addr.s_addr)
            return fd;
    }
    fail_msg ("accepted socket not found");
    return -1;
}

static int
s_socket_option (int fd, int level, int name)
{
    int value = -1;
    socklen_t size = sizeof (value);
    assert_int_equal (getsockopt (fd, level, name, &value, &size), 0);
    return value;
}

//  Accepted client sockets get TCP keepalive as set: the idle time asked
//  for, probes every LISTENER_KEEPALIVE_INTERVAL_S (or the idle time if
//  shorter), LISTENER_KEEPALIVE_PROBES of them; 0 leaves it off.
static void
test_keepalive (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    listener_t *listener = listener_new (fixture->loop, "127.0.0.1:0", 16,
                                         fixture->clients, 10);
    assert_non_null (listener);
    int port = listener_port (listener);

    int plain = s_connect (port);
    s_run (fixture->loop);
    int accepted = s_accepted_fd (plain);
    assert_int_equal (s_socket_option (accepted, SOL_SOCKET, SO_KEEPALIVE), 0);
    assert_int_equal (s_socket_option (accepted, IPPROTO_TCP, TCP_NODELAY), 1);

    const int idle [] = { 45, 3 };
    for (size_t index = 0; index < 2; index++) {
        listener_set_keepalive (listener, idle [index]);
        int client = s_connect (port);
        s_run (fixture->loop);
        accepted = s_accepted_fd (client);
        assert_int_equal (s_socket_option (accepted, SOL_SOCKET, SO_KEEPALIVE), 1);
        assert_int_equal (s_socket_option (accepted, IPPROTO_TCP, TCP_KEEPIDLE), idle [index]);
        assert_int_equal (s_socket_option (accepted, IPPROTO_TCP, TCP_KEEPINTVL),
                          MIN (idle [index], LISTENER_KEEPALIVE_INTERVAL_S));
        assert_int_equal (s_socket_option (accepted, IPPROTO_TCP, TCP_KEEPCNT),
                          LISTENER_KEEPALIVE_PROBES);
        close (client);
    }
    listener_set_keepalive (listener, 0);
    int off = s_connect (port);
    s_run (fixture->loop);
    assert_int_equal (s_socket_option (s_accepted_fd (off), SOL_SOCKET, SO_KEEPALIVE), 0);
    close (off);
    close (plain);
    s_run (fixture->loop);
    listener_destroy (&listener);
}

static void
s_count_pass (loop_t *loop, void *arg)
{
    (void) loop;
    (*(int *) arg)++;
}

static void
test_out_of_descriptors_pauses (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    listener_t *listener = listener_new (fixture->loop, "127.0.0.1:0", 16,
                                         fixture->clients, 10);
    assert_non_null (listener);
    int port = listener_port (listener);
    int sockets [3];
    for (int index = 0; index < 3; index++)
        sockets [index] = s_connect (port);
    //  No descriptor left for accept4
    struct rlimit saved;
    getrlimit (RLIMIT_NOFILE, &saved);
    int highest = dup (0);
    close (highest);
    struct rlimit tight = { .rlim_cur = highest, .rlim_max = saved.rlim_max };
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &tight), 0);
    int passes = 0;
    loop_hook_add (fixture->loop, s_count_pass, &passes);
    s_run (fixture->loop);
    //  Paused, not spinning on the readable listener
    assert_true (passes < 10);
    assert_int_equal (client_set_size (fixture->clients), 0);
    //  Descriptors again: the pause ends and the backlog is accepted
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &saved), 0);
    for (int round = 0; round < 10 && client_set_size (fixture->clients) < 3; round++)
        s_run (fixture->loop);
    assert_int_equal (client_set_size (fixture->clients), 3);
    loop_hook_remove (fixture->loop, s_count_pass, &passes);
    for (int index = 0; index < 3; index++)
        close (sockets [index]);
    listener_destroy (&listener);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_bad_addresses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bind_port_zero_and_accept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_keepalive, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_refuses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_out_of_descriptors_pauses, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

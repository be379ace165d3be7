/*  =========================================================================
    test_health.c - the health endpoint, over real loopback TCP

    Binds 127.0.0.1:0, connects with plain blocking sockets and runs the
    loop in short bounded bursts. A check must read exactly one line with
    the current client count and then a clean end of stream (FIN, not
    RST), also when it sent bytes first or several checks queued up at
    once; a bad or busy address fails; a checker that hangs up first
    harms nothing.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "health.h"

#define RUN_MS          20
#define CHECKS_QUEUED   5
#define ANSWER_MAX      128

typedef struct {
    loop_t *loop;
    size_t clients;             //  what the count callback reports
    int calls;                  //  how often it was asked
} s_fixture_t;

static size_t
s_count (void *arg)
{
    s_fixture_t *fixture = (s_fixture_t *) arg;
    fixture->calls++;
    return fixture->clients;
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

//  Read until end of stream; returns the bytes read (NUL-terminated), and
//  fails the test on a reset or a timeout.
static void
s_read_all (int fd, char *buffer, size_t size)
{
    size_t used = 0;
    while (true) {
        ssize_t rc = recv (fd, buffer + used, size - 1 - used, 0);
        assert_true (rc >= 0);          //  not ECONNRESET, not a timeout
        if (rc == 0)
            break;
        used += (size_t) rc;
        assert_true (used < size - 1);
    }
    buffer [used] = 0;
}

static int
s_setup (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) calloc (1, sizeof (s_fixture_t));
    fixture->loop = loop_new ();
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    loop_destroy (&fixture->loop);
    free (fixture);
    return 0;
}

static void
test_answers_count_and_closes (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    int port = health_port (health);
    assert_true (port > 0);

    int fd = s_connect (port);
    s_run (fixture->loop);
    char answer [ANSWER_MAX];
    s_read_all (fd, answer, sizeof (answer));
    assert_string_equal (answer, "ok clients=0\r\n");
    close (fd);

    //  The count is asked for each check, not cached
    fixture->clients = 1234;
    fd = s_connect (port);
    s_run (fixture->loop);
    s_read_all (fd, answer, sizeof (answer));
    assert_string_equal (answer, "ok clients=1234\r\n");
    close (fd);
    assert_int_equal (fixture->calls, 2);
    health_destroy (&health);
    assert_null (health);
    health_destroy (&health);
}

//  Alive but not ready (the router is unreachable): the answer says so,
//  without the "ok" HAProxy's check looks for, until ready again.
static void
test_not_ready_answer (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    fixture->clients = 3;
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    health_set_ready (health, false);
    int fd = s_connect (health_port (health));
    s_run (fixture->loop);
    char answer [ANSWER_MAX];
    s_read_all (fd, answer, sizeof (answer));
    assert_string_equal (answer, "not-ready router=unreachable clients=3\r\n");
    assert_null (strstr (answer, "ok"));
    close (fd);
    health_set_ready (health, true);
    fd = s_connect (health_port (health));
    s_run (fixture->loop);
    s_read_all (fd, answer, sizeof (answer));
    assert_string_equal (answer, "ok clients=3\r\n");
    close (fd);
    health_destroy (&health);
}

//  A checker that writes first (a telnet, a probe that says hello) still
//  gets its line and a FIN: its input is read away before close ().
static void
test_input_does_not_cause_reset (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    int fd = s_connect (health_port (health));
    const char *hello = "HEAD / HTTP/1.0\r\n\r\n";
    assert_int_equal (send (fd, hello, strlen (hello), 0), (ssize_t) strlen (hello));
    //  Let the bytes land before the gateway accepts
    zclock_sleep (RUN_MS);
    s_run (fixture->loop);
    char answer [ANSWER_MAX];
    s_read_all (fd, answer, sizeof (answer));
    assert_string_equal (answer, "ok clients=0\r\n");
    close (fd);
    health_destroy (&health);
}

//  Several checks waiting in the backlog are all answered in one pass;
//  one that hung up before being accepted harms nothing.
static void
test_queued_checks (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    fixture->clients = 7;
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    int port = health_port (health);
    int gone = s_connect (port);
    struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
    setsockopt (gone, SOL_SOCKET, SO_LINGER, &abort_now, sizeof (abort_now));
    close (gone);                       //  RST before it is accepted
    int fds [CHECKS_QUEUED];
    for (int index = 0; index < CHECKS_QUEUED; index++)
        fds [index] = s_connect (port);
    s_run (fixture->loop);
    for (int index = 0; index < CHECKS_QUEUED; index++) {
        char answer [ANSWER_MAX];
        s_read_all (fds [index], answer, sizeof (answer));
        assert_string_equal (answer, "ok clients=7\r\n");
        close (fds [index]);
    }
    assert_true (fixture->calls >= CHECKS_QUEUED);
    health_destroy (&health);
}

//  Once destroyed, the port refuses connections (a balancer sees the
//  gateway down at once).
static void
test_destroy_closes_port (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    int port = health_port (health);
    health_destroy (&health);
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof (address)), -1);
    assert_int_equal (errno, ECONNREFUSED);
    close (fd);
}

static void
test_bad_and_busy_addresses (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *) *state;
    assert_null (health_new (fixture->loop, "no-port", s_count, fixture));
    assert_null (health_new (fixture->loop, "127.0.0.1:", s_count, fixture));
    assert_null (health_new (fixture->loop, "127.0.0.1:99999", s_count, fixture));
    assert_null (health_new (fixture->loop, "[::1:8081", s_count, fixture));
    health_t *health = health_new (fixture->loop, "127.0.0.1:0", s_count, fixture);
    assert_non_null (health);
    char busy [32];
    snprintf (busy, sizeof (busy), "127.0.0.1:%d", health_port (health));
    assert_null (health_new (fixture->loop, busy, s_count, fixture));
    health_destroy (&health);
    assert_int_equal (fixture->calls, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_answers_count_and_closes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_not_ready_answer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_input_does_not_cause_reset, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_queued_checks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_closes_port, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_and_busy_addresses, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    test_metrics_server.c - /metrics served from its own thread

    Real sockets on 127.0.0.1: a scrape after a publish shows the values
    (and promtool accepts the body); other paths and methods get their
    status; hostile scrapers (garbage, never reading, never finishing the
    request, more connections than slots) are timed out or turned away
    and never stop the next honest scrape.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "metrics_server.h"

#define TEST_METRICS(X) \
    X (TEST_LINES, METRICS_COUNTER, "zchat_test_lines_received_total", "", "Lines received.") \
    X (TEST_CLIENTS, METRICS_GAUGE, "zchat_test_clients", "", "Connected clients.")
typedef enum { TEST_METRICS (METRICS_ID) TEST_METRIC_COUNT } test_metric_t;
static const metrics_def_t s_defs [] = { TEST_METRICS (METRICS_ROW) };

#define TEST_TIMEOUT_MS     300     //  the server's per-connection deadline here
#define TEST_WAIT_MS        5000    //  how long a test waits for an answer

static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof (address)), 0);
    struct timeval timeout = { TEST_WAIT_MS / 1000, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    return fd;
}

//  Send request, read until the server closes; returns what came (free it).
static char *
s_exchange (int port, const char *request)
{
    int fd = s_connect (port);
    assert_int_equal (send (fd, request, strlen (request), 0), (ssize_t) strlen (request));
    size_t size = 0, capacity = 65536;
    char *answer = (char *) malloc (capacity + 1);
    ssize_t got;
    while ((got = recv (fd, answer + size, capacity - size, 0)) > 0)
        size += (size_t) got;
    answer [size] = 0;
    close (fd);
    return answer;
}

static metrics_server_t *
s_server (metrics_t *metrics)
{
    metrics_server_config_t config;
    metrics_server_config_defaults (&config);
    config.address = "127.0.0.1:0";
    config.timeout_ms = TEST_TIMEOUT_MS;
    config.max_connections = 4;
    metrics_server_t *server = metrics_server_new (&config, s_defs, TEST_METRIC_COUNT, "test");
    assert_non_null (server);
    metrics_add (metrics, TEST_LINES, 42);
    metrics_set (metrics, TEST_CLIENTS, 7);
    metrics_server_publish (server, metrics);
    return server;
}

static void
s_expect_scrape (int port)
{
    char *answer = s_exchange (port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null (strstr (answer, "HTTP/1.1 200 OK\r\n"));
    assert_non_null (strstr (answer, "Content-Type: " METRICS_CONTENT_TYPE "\r\n"));
    assert_non_null (strstr (answer, "\nzchat_test_lines_received_total 42\n"));
    assert_non_null (strstr (answer, "\nzchat_test_clients 7\n"));
    //  Prometheus's linter takes the body as it is
    FILE *promtool = popen ("promtool check metrics", "w");
    assert_non_null (promtool);
    fputs (strstr (answer, "\r\n\r\n") + 4, promtool);
    int status = pclose (promtool);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    free (answer);
}

static void
test_scrape (void **state)
{
    (void) state;
    metrics_t *metrics = metrics_new (s_defs, TEST_METRIC_COUNT);
    metrics_server_t *server = s_server (metrics);
    s_expect_scrape (metrics_server_port (server));
    //  Later values show in later scrapes
    metrics_add (metrics, TEST_LINES, 1);
    metrics_server_publish (server, metrics);
    char *answer = NULL;
    for (int tries = 0; tries < 100; tries++) {
        free (answer);
        answer = s_exchange (metrics_server_port (server), "GET /metrics HTTP/1.0\r\n\r\n");
        if (strstr (answer, "\nzchat_test_lines_received_total 43\n"))
            break;
        zclock_sleep (10);      //  the copy travels to the other thread
    }
    assert_non_null (strstr (answer, "\nzchat_test_lines_received_total 43\n"));
    free (answer);
    metrics_server_destroy (&server);
    metrics_server_destroy (&server);
    metrics_destroy (&metrics);
}

static void
test_other_requests (void **state)
{
    (void) state;
    metrics_t *metrics = metrics_new (s_defs, TEST_METRIC_COUNT);
    metrics_server_t *server = s_server (metrics);
    int port = metrics_server_port (server);
    char *answer = s_exchange (port, "GET / HTTP/1.1\r\n\r\n");
    assert_non_null (strstr (answer, "HTTP/1.1 404 Not Found\r\n"));
    free (answer);
    answer = s_exchange (port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_non_null (strstr (answer, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null (strstr (answer, "Allow: GET, HEAD\r\n"));
    free (answer);
    answer = s_exchange (port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    assert_non_null (strstr (answer, "HTTP/1.1 200 OK\r\n"));
    assert_non_null (strstr (answer, "Content-Length: 0\r\n"));
    free (answer);
    answer = s_exchange (port, "\x16\x03\x01garbage\r\n\r\n");
    assert_non_null (strstr (answer, "HTTP/1.1 400 Bad Request\r\n"));
    free (answer);
    metrics_server_destroy (&server);
    metrics_destroy (&metrics);
}

static void
test_hostile_scrapers (void **state)
{
    (void) state;
    metrics_t *metrics = metrics_new (s_defs, TEST_METRIC_COUNT);
    metrics_server_t *server = s_server (metrics);
    int port = metrics_server_port (server);
    //  More silent connections than slots: the extra ones are closed at
    //  once, the rest at their deadline
    int silent [8];
    for (int index = 0; index < 8; index++)
        silent [index] = s_connect (port);
    char byte;
    for (int index = 0; index < 8; index++)
        assert_int_equal (recv (silent [index], &byte, 1, 0), 0);     //  closed, not hung
    //  One that never finishes its request
    int partial = s_connect (port);
    assert_true (send (partial, "GET /metr", 9, 0) == 9);
    assert_int_equal (recv (partial, &byte, 1, 0), 0);
    s_expect_scrape (port);
    for (int index = 0; index < 8; index++)
        close (silent [index]);
    close (partial);
    metrics_server_destroy (&server);
    metrics_destroy (&metrics);
}

static void
test_bad_address (void **state)
{
    (void) state;
    metrics_server_config_t config;
    metrics_server_config_defaults (&config);
    config.address = "127.0.0.1";
    assert_null (metrics_server_new (&config, s_defs, TEST_METRIC_COUNT, "test"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_scrape),
        cmocka_unit_test (test_other_requests),
        cmocka_unit_test (test_hostile_scrapers),
        cmocka_unit_test (test_bad_address),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

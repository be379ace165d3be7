/*  =========================================================================
    harness_metrics.c - scrape a tier's /metrics, read one series, lint it (and
    the one HTTP exchange the scrape is, for other tests too)

    A tier started with --metrics-listen 127.0.0.1:0 names the bound port
    in its ready line (metrics=N). A scrape is one HTTP/1.0 GET on a
    fresh connection; the body is handed back whole. The values a tier
    serves are a copy its loop published at most a tick or so ago, so
    tests wait for a value (harness_wait_metric) instead of reading once.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif
#include "harness_private.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#define METRICS_REQUEST     "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
#define METRICS_READ_SIZE   4096
#define METRICS_HEAD_END    "\r\n\r\n"
#define METRICS_PORT_KEY    " metrics="
#define METRICS_WAIT_MS     100     //  between two scrapes while waiting

int
harness_metrics_port (harness_proc_t *proc)
{
    char *log = harness_slurp (proc->log_path);
    const char *field = strstr (log, METRICS_PORT_KEY);
    int port = field? atoi (field + strlen (METRICS_PORT_KEY)): 0;
    free (log);
    return port;
}

char *
harness_http_exchange (int port, const char *request, size_t *size_p)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) == -1
    ||  send (fd, request, strlen (request), MSG_NOSIGNAL) != (ssize_t) strlen (request)) {
        close (fd);
        return NULL;
    }
    size_t size = 0, cap = METRICS_READ_SIZE;
    char *answer = (char *) malloc (cap + 1);
    assert_non_null (answer);
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (harness_now () < deadline) {
        struct pollfd wait = { .fd = fd, .events = POLLIN };
        if (poll (&wait, 1, (int) (deadline - harness_now ())) <= 0)
            break;
        if (size == cap) {
            cap *= 2;
            answer = (char *) realloc (answer, cap + 1);
            assert_non_null (answer);
        }
        ssize_t got = recv (fd, answer + size, cap - size, 0);
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    answer [size] = 0;
    if (size_p)
        *size_p = size;
    return answer;
}

char *
harness_scrape (harness_proc_t *proc)
{
    int port = harness_metrics_port (proc);
    if (port <= 0)
        return NULL;
    char *answer = harness_http_exchange (port, METRICS_REQUEST, NULL);
    if (!answer)
        return NULL;
    char *body = strstr (answer, METRICS_HEAD_END);
    if (strncmp (answer, "HTTP/1.", strlen ("HTTP/1.")) != 0 || !strstr (answer, " 200 ")
    ||  !body) {
        free (answer);
        return NULL;
    }
    char *copy = strdup (body + strlen (METRICS_HEAD_END));
    free (answer);
    return copy;
}

int64_t
harness_metric (const char *body, const char *series)
{
    size_t length = strlen (series);
    for (const char *line = body; line && *line; ) {
        if (strncmp (line, series, length) == 0 && line [length] == ' ')
            return strtoll (line + length + 1, NULL, 10);
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return -1;
}

int64_t
harness_scrape_metric (harness_proc_t *proc, const char *series)
{
    char *body = harness_scrape (proc);
    int64_t value = body? harness_metric (body, series): -1;
    free (body);
    return value;
}

int64_t
harness_wait_metric_min (harness_proc_t *proc, const char *series, int64_t minimum,
                         int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    int64_t seen = harness_scrape_metric (proc, series);
    while (seen < minimum && harness_now () < deadline) {
        harness_pause_ms (METRICS_WAIT_MS);
        seen = harness_scrape_metric (proc, series);
    }
    if (seen < minimum)
        fprintf (stderr, "harness: %s = %lld, wanted at least %lld\n", series,
                 (long long) seen, (long long) minimum);
    return seen;
}

int64_t
harness_wait_metric (harness_proc_t *proc, const char *series, int64_t value, int timeout_ms)
{
    int64_t deadline = harness_now () + timeout_ms;
    int64_t seen = harness_scrape_metric (proc, series);
    while (seen != value && harness_now () < deadline) {
        harness_pause_ms (METRICS_WAIT_MS);
        seen = harness_scrape_metric (proc, series);
    }
    if (seen != value)
        fprintf (stderr, "harness: %s is %lld, expected %lld\n", series,
                 (long long) seen, (long long) value);
    return seen;
}

int
harness_promtool (const char *body)
{
    FILE *promtool = popen ("promtool check metrics", "w");
    assert_non_null (promtool);
    fputs (body, promtool);
    int status = pclose (promtool);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

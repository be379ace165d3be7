/*  =========================================================================
    25_admission.c - per-address caps: one clear line, a clean close

    With loopback not exempt (--admission-exempt ""), clients on
    127.0.0.1 are capped (--max-per-ip) and rate limited
    (--connect-rate-per-ip): the one over gets "! too many connections
    from your address" and an orderly close (EOF, not a reset), the
    refusals are logged once per address, not once per connection, and
    a client from another address (127.0.0.2, loopback too) is not
    affected. The netns test (tests/deploy/netns-test.sh) does the same
    across real addresses.
    =========================================================================
*/
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

#define ADMIT_CAP           3
#define ADMIT_CAP_TEXT      "3"
#define ADMIT_REFUSALS      5
#define ADMIT_RATE          "2/600"
#define ADMIT_RATE_COUNT    2
#define ADMIT_NOTICE        "! too many connections from your address"
#define ADMIT_OTHER         "127.0.0.2"
#define ADMIT_BUFFER        4096
#define ADMIT_LOG_TOO_MANY  "admission: refused addr=127.0.0.1 reason=too-many"
#define ADMIT_LOG_TOO_FAST  "admission: refused addr=127.0.0.1 reason=too-fast"

static const char *s_cap_flags [] = {
    "--admission-exempt", "", "--max-per-ip", ADMIT_CAP_TEXT,
    "--connect-rate-per-ip", "0", NULL
};
static const char *s_rate_flags [] = {
    "--admission-exempt", "", "--max-per-ip", "0", "--connect-rate-per-ip", ADMIT_RATE, NULL
};

//  Connect to the gateway from source (an address of ours), read what it
//  sends until it closes; true if that was the refusal line and an EOF.
static bool
s_refused_from (harness_proc_t *gateway, const char *source)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    assert_int_equal (inet_pton (AF_INET, source, &address.sin_addr), 1);
    assert_int_equal (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (inet_pton (AF_INET, "127.0.0.1", &address.sin_addr), 1);
    address.sin_port = htons ((uint16_t) harness_gateway_port (gateway));
    assert_int_equal (connect (fd, (struct sockaddr *) &address, sizeof address), 0);
    char buffer [ADMIT_BUFFER];
    size_t size = 0;
    ssize_t got = 1;
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (got > 0 && size < sizeof buffer - 1 && harness_now () < deadline) {
        struct pollfd item = { fd, POLLIN, 0 };
        if (poll (&item, 1, (int) (deadline - harness_now ())) <= 0)
            break;
        got = read (fd, buffer + size, sizeof buffer - 1 - size);
        if (got > 0)
            size += (size_t) got;
        buffer [size] = 0;
        if (strstr (buffer, "\r\n") && strncmp (buffer, ADMIT_NOTICE, strlen (ADMIT_NOTICE)))
            break;          //  a first line that is not the refusal: admitted
    }
    close (fd);
    buffer [size] = 0;
    return got == 0 && strcmp (buffer, ADMIT_NOTICE "\r\n") == 0;
}

static void
test_cap_per_address (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, s_cap_flags));
    harness_client_t *clients [ADMIT_CAP];
    for (size_t index = 0; index < ADMIT_CAP; index++) {
        clients [index] = harness_login (harness, gateway);
        assert_non_null (clients [index]);
    }
    //  Over the cap: the line and a clean close, every time; logged once
    for (int index = 0; index < ADMIT_REFUSALS; index++)
        assert_true (s_refused_from (gateway, "127.0.0.1"));
    assert_true (harness_proc_wait_log (gateway, ADMIT_LOG_TOO_MANY, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (gateway, ADMIT_LOG_TOO_MANY), 1);
    //  Another address is someone else: it gets in
    assert_false (s_refused_from (gateway, ADMIT_OTHER));
    //  The ones in are not affected, and one leaving makes room
    assert_true (harness_marker (clients [0], "general", clients + 1, ADMIT_CAP - 1));
    harness_client_close (clients [0]);
    harness_client_t *again = NULL;
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (!again && harness_now () < deadline)
        again = harness_login (harness, gateway);   //  once the close is seen
    assert_non_null (again);
}

static void
test_connect_rate (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, s_rate_flags));
    for (int index = 0; index < ADMIT_RATE_COUNT; index++) {
        harness_client_t *client = harness_login (harness, gateway);
        assert_non_null (client);
        harness_client_close (client);
    }
    for (int index = 0; index < ADMIT_REFUSALS; index++)
        assert_true (s_refused_from (gateway, "127.0.0.1"));
    assert_true (harness_proc_wait_log (gateway, ADMIT_LOG_TOO_FAST, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (gateway, ADMIT_LOG_TOO_FAST), 1);
    assert_false (s_refused_from (gateway, ADMIT_OTHER));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_cap_per_address, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_connect_rate, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

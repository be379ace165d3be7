/*  =========================================================================
    12_uplink_full.c - a full uplink costs the gateway no CPU while it waits

    The router dies; a client keeps typing until the gateway's uplink is at
    its high-water mark (--uplink-hwm 1), then another client leaves, so its
    LOGOUT must wait in the relay's backlog. Waiting for the uplink must be
    sleeping, not polling: the gateway's CPU time over a second stays near
    zero. When the router comes back on the same endpoints the backlog
    leaves, and a new client can log in.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>

#define UPLINK_LINES        200     //  far more than the uplink holds
#define UPLINK_SETTLE_MS    500     //  let the lines reach the full uplink
#define UPLINK_WINDOW_MS    1000    //  CPU measured over this much wall time
#define UPLINK_CPU_MAX_MS   250     //  a spinning loop burns ~1000; idle ~0
#define UPLINK_RESYNC_MS    8000    //  router timeout 1 s, restart, resync
#define UPLINK_PATH         64
#define UPLINK_STAT_SIZE    1024
#define UPLINK_UTIME_FIELD  14      //  /proc/PID/stat: utime, then stime
#define UPLINK_LOST_NOTICE  "! lost contact with the server; reconnecting..."

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--uplink-hwm", "1", "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  CPU time (user + system) of pid in milliseconds, -1 if unknown.
static long
s_cpu_ms (pid_t pid)
{
    char path [UPLINK_PATH];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char stat [UPLINK_STAT_SIZE];
    size_t size = fread (stat, 1, sizeof stat - 1, file);
    fclose (file);
    stat [size] = 0;
    //  Fields count from the one after the command name's ')'
    char *cursor = strrchr (stat, ')');
    if (!cursor)
        return -1;
    cursor += 2;
    for (int field = 3; field < UPLINK_UTIME_FIELD; field++) {
        cursor = strchr (cursor, ' ');
        if (!cursor)
            return -1;
        cursor++;
    }
    unsigned long user, system;
    if (sscanf (cursor, "%lu %lu", &user, &system) != 2)
        return -1;
    return (long) ((user + system) * 1000 / (unsigned long) sysconf (_SC_CLK_TCK));
}

static void
test_full_uplink_sleeps (void **state)
{
    harness_t *harness = *state;
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    const char *ingress = endpoints.ingress, *publish = endpoints.publish;
    const char *control = endpoints.control;
    harness_proc_t *router = harness_router_start_at (harness, ingress, publish, control,
                                                      s_router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_gateway_flags);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);

    harness_proc_kill (router);
    assert_non_null (harness_expect (alice, UPLINK_LOST_NOTICE, UPLINK_RESYNC_MS));
    for (int index = 0; index < UPLINK_LINES; index++)
        assert_int_equal (harness_send (alice, "line %d", index), 0);
    harness_client_close (bob);                 //  its LOGOUT waits in the backlog
    poll (NULL, 0, UPLINK_SETTLE_MS);

    pid_t pid = harness_proc_pid (gateway);
    long before = s_cpu_ms (pid);
    poll (NULL, 0, UPLINK_WINDOW_MS);
    long after = s_cpu_ms (pid);
    assert_true (before >= 0 && after >= 0);
    if (after - before > UPLINK_CPU_MAX_MS)
        fprintf (stderr, "gateway used %ld ms of CPU in %d ms, waiting for the uplink\n",
                 after - before, UPLINK_WINDOW_MS);
    assert_true (after - before <= UPLINK_CPU_MAX_MS);

    //  The router comes back: the backlog leaves, logins work again
    router = harness_router_start_at (harness, ingress, publish, control, s_router_flags);
    assert_non_null (router);
    harness_client_t *carol = harness_login (harness, gateway);
    assert_non_null (carol);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_full_uplink_sleeps, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

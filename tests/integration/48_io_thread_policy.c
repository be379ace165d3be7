/*  =========================================================================
    48_io_thread_policy.c - --io-thread-policy reaches ZeroMQ's I/O threads

    By default the router's and the gateway's ZeroMQ I/O threads run under
    SCHED_OTHER, which the kernel reports per thread in /proc/PID/task/TID/stat;
    --io-thread-policy batch puts them under SCHED_BATCH (io_threads.h);
    an unknown name is refused at start. With either policy two clients
    on the gateway talk to each other through the router.
    =========================================================================
*/
#define _GNU_SOURCE             //  SCHED_BATCH
#include "harness.h"
#include <cmocka.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_IO_THREAD        "ZMQbg/IO/0"    //  libzmq's name for the first I/O thread
#define POLICY_STAT_FIELD       41              //  "policy" in proc(5)'s stat fields
#define POLICY_PATH_MAX         320     //  /proc/PID/task/NAME/stat, NAME up to 255
#define POLICY_STAT_MAX         1024
#define POLICY_WAIT_MS          5000

//  Scheduling policy of pid's ZeroMQ I/O thread, or -1 if none was found.
static int
s_io_thread_policy (pid_t pid)
{
    char path [POLICY_PATH_MAX];
    snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *tasks = opendir (path);
    if (!tasks)
        return -1;
    int policy = -1;
    struct dirent *entry;
    while (policy == -1 && (entry = readdir (tasks))) {
        if (entry->d_name [0] == '.')
            continue;
        snprintf (path, sizeof path, "/proc/%d/task/%s/stat", (int) pid, entry->d_name);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        char stat [POLICY_STAT_MAX];
        size_t size = fread (stat, 1, sizeof stat - 1, file);
        fclose (file);
        stat [size] = 0;
        //  "TID (COMM) STATE ...": COMM may hold spaces, not ')'
        char *open = strchr (stat, '(');
        char *close = strrchr (stat, ')');
        if (!open || !close || close < open)
            continue;
        if ((size_t) (close - open - 1) != strlen (POLICY_IO_THREAD)
        ||  memcmp (open + 1, POLICY_IO_THREAD, strlen (POLICY_IO_THREAD)) != 0)
            continue;
        //  Field 3 (state) follows the ')'
        char *field = close + 1;
        for (int number = 3; number <= POLICY_STAT_FIELD && field; number++) {
            field = strchr (field, ' ');
            if (field)
                field++;
            if (field && number == POLICY_STAT_FIELD)
                policy = atoi (field);
        }
    }
    closedir (tasks);
    return policy;
}

//  alice says a line in #general on gateway; bob there receives it.
static void
s_talk (harness_t *harness, harness_proc_t *gateway)
{
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_int_equal (harness_send (alice, "hello across the tiers"), 0);
    assert_non_null (harness_expect_sub (bob, "hello across the tiers", POLICY_WAIT_MS));
}

static void
s_check_policy (void **state, const char *flag_value, int expected)
{
    harness_t *harness = *state;
    const char *flags [] = { "--io-thread-policy", flag_value, NULL };
    harness_proc_t *router = harness_router_start (harness, flag_value? flags: NULL);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1",
                                                     flag_value? flags: NULL);
    assert_non_null (gateway);
    s_talk (harness, gateway);
    assert_int_equal (s_io_thread_policy (harness_proc_pid (router)), expected);
    assert_int_equal (s_io_thread_policy (harness_proc_pid (gateway)), expected);
}

static void
test_default_is_normal (void **state)
{
    s_check_policy (state, NULL, SCHED_OTHER);
}

static void
test_batch (void **state)
{
    s_check_policy (state, "batch", SCHED_BATCH);
}

static void
test_unknown_refused (void **state)
{
    harness_t *harness = *state;
    const char *flags [] = { "--io-thread-policy", "fifo", NULL };
    char *log = NULL;
    assert_int_equal (harness_router_refused (harness, flags, &log), 2);
    assert_non_null (log);
    assert_non_null (strstr (log, "--io-thread-policy must be normal|batch"));
    free (log);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_default_is_normal, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_batch, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_refused, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

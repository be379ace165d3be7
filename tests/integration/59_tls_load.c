/*  =========================================================================
    59_tls_load.c - many TLS clients at once, nothing lost

    The load generator (zchat-loadgen --transport tls) opens a few hundred TLS
    connections to two gateways' TLS ports at once, and every room's
    senders keep a window of messages in flight: every member gets every
    message once, in order (--expect-clean). The gateways' fan-out writes
    through SSL_write with partial writes and handshakes run beside
    traffic in the same loop; with `make bench` S3 the same option
    measures TLS memory per idle connection (docs/OPERATIONS.md).
    =========================================================================
*/
#define _GNU_SOURCE
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define LOAD_COMMAND_MAX    2048
#define LOAD_CLIENTS        "300"
#define LOAD_ROOMS          "30"

static void
test_tls_load (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = { "--rate-lines", "0", NULL };
    harness_proc_t *first = harness_tls_system (harness, &router, flags);
    harness_proc_t *second = harness_gateway_start (harness, router, "gw2",
                                                    harness_tls_flags (harness, "gateway", flags));
    assert_non_null (second);
    harness_raise_fd_limit (2 * atoi (LOAD_CLIENTS));
    const char *bin = getenv ("ZCHAT_BIN_DIR");
    char command [LOAD_COMMAND_MAX];
    snprintf (command, sizeof command,
              "'%s/zchat-loadgen' --transport tls --servers 127.0.0.1:%d,127.0.0.1:%d --clients "
              LOAD_CLIENTS " --rooms " LOAD_ROOMS " --mode closed --window 4 --duration 2 "
              "--drain 3 --join-timeout 30 --quiet --expect-clean > '%s/loadgen.out' 2>&1",
              bin? bin: "bin", harness_gateway_tls_port (first),
              harness_gateway_tls_port (second), harness_dir (harness));
    int status = system (command);
    char path [LOAD_COMMAND_MAX];
    snprintf (path, sizeof path, "%s/loadgen.out", harness_dir (harness));
    FILE *file = fopen (path, "r");
    char line [LOAD_COMMAND_MAX];
    while (file && fgets (line, sizeof line, file))
        if (strstr (line, "clients") || strstr (line, "lost") || status != 0)
            fputs (line, stderr);
    if (file)
        fclose (file);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_tls_load, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    51_curve_control.c - only operators drive the router; keys and flags

    With --curve-secret the control socket takes CURVE clients whose key is
    in --control-allow. zchat-ctl without keys, with a key nobody allowed,
    and with an allowed *gateway's* key can neither read STATUS nor shut
    the router down: each times out, the router keeps running, and it logs
    each refused key once however often it comes back. The operator's key
    does both. zchat-ctl keygen writes zcert_save files (secret 0600) and
    never replaces one. Half-configured flags and bad key files stop a
    tier at start with a clear line; without CURVE each tier warns once.
    =========================================================================
*/
#include "chat.h"
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONTROL_PATH_MAX    600
#define CONTROL_REFUSED     "zap: refused domain=control "
#define CONTROL_METRIC      "zchat_router_auth_refused_total{domain=\"control\"}"
#define CONTROL_ATTEMPTS    2       //  status and shutdown, per rogue
#define CONTROL_ROGUE_WAIT  "500"   //  ms a rogue zchat-ctl waits for its reply

static const char *s_metrics [] = { "--metrics-listen", "127.0.0.1:0", NULL };

//  zchat-ctl with these flags (plus a short --timeout) must fail verb.
static void
s_refused (harness_t *harness, harness_proc_t *router, const char **keys, const char *verb)
{
    const char *wait [] = { "--timeout", CONTROL_ROGUE_WAIT, NULL };
    const char *flags [HARNESS_FLAGS_MAX];
    int exit_code = 0;
    char *log = NULL;
    char *body = harness_ctl_with (harness, router, harness_join_flags (flags, wait, keys), verb,
                                   &exit_code, &log);
    assert_null (body);
    assert_int_equal (exit_code, 1);
    assert_non_null (strstr (log, "no reply"));
    free (log);
}

static void
test_control_operators_only (void **state)
{
    harness_t *harness = *state;
    harness_flags_t router_keys, gateway_keys, intruder_keys;
    assert_true (harness_curve_router (harness, &router_keys));
    assert_true (harness_curve_gateway (harness, "gw1", true, &gateway_keys));
    assert_true (harness_curve_gateway (harness, "intruder", false, &intruder_keys));
    const char *router_args [HARNESS_FLAGS_MAX];
    harness_proc_t *router = harness_router_start (harness,
        harness_join_flags (router_args, s_metrics, router_keys.argv));
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", gateway_keys.argv);
    assert_non_null (gateway);
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));

    //  No keys, a stranger's, a gateway's: no STATUS, no SHUTDOWN
    const char **rogues [] = { NULL, intruder_keys.argv, gateway_keys.argv };
    for (size_t index = 0; index < sizeof rogues / sizeof rogues [0]; index++) {
        s_refused (harness, router, rogues [index], "status");
        s_refused (harness, router, rogues [index], "shutdown");
    }
    char *body = harness_ctl (harness, router, "status", NULL);
    assert_non_null (body);
    assert_non_null (strstr (body, "state=running\n"));
    free (body);
    //  Two keys came twice each: two log lines, four refusals counted (a
    //  plain zchat-ctl fails on the mechanism, before any key is asked)
    assert_true (harness_wait_metric_min (router, CONTROL_METRIC, 2 * CONTROL_ATTEMPTS,
                                          HARNESS_TIMEOUT_MS) >= 2 * CONTROL_ATTEMPTS);
    assert_int_equal (harness_proc_log_count (router, CONTROL_REFUSED), 2);
    assert_int_equal (harness_proc_log_count (router, "zap: refused domain=gateway"), 0);

    //  The operator's key shuts it down
    int exit_code = -1;
    body = harness_ctl (harness, router, "shutdown", &exit_code);
    assert_int_equal (exit_code, 0);
    assert_non_null (strstr (body, "state=draining"));
    free (body);
    assert_true (harness_proc_wait (router, HARNESS_TIMEOUT_MS * 2) != -1);
    assert_true (harness_proc_clean (router));
}

//  The mode of path, or -1.
static int
s_mode (const char *path)
{
    struct stat status;
    return stat (path, &status) == 0? (int) (status.st_mode & 0777): -1;
}

static void
test_keygen (void **state)
{
    harness_t *harness = *state;
    char public [CONTROL_PATH_MAX], secret [CONTROL_PATH_MAX];
    snprintf (public, sizeof public, "%s/alice", harness_dir (harness));
    snprintf (secret, sizeof secret, "%s/alice_secret", harness_dir (harness));
    assert_int_equal (harness_keygen (harness, "alice"), 0);
    assert_int_equal (s_mode (secret), 0600);
    assert_true (s_mode (public) != -1);
    zcert_t *pair = zcert_load (public);        //  finds alice_secret beside it
    assert_non_null (pair);
    FILE *file = fopen (public, "r");
    assert_non_null (file);
    char line [256];
    bool secret_in_public = false;
    while (fgets (line, sizeof line, file))
        if (strstr (line, "secret-key"))
            secret_in_public = true;
    fclose (file);
    assert_false (secret_in_public);

    //  Never replaced: a second keygen fails and the key stays
    char *before = strdup (zcert_public_txt (pair));
    assert_int_equal (harness_keygen (harness, "alice"), 1);
    zcert_t *after = zcert_load (public);
    assert_non_null (after);
    assert_string_equal (zcert_public_txt (after), before);
    const char *slash [] = { "keygen", "../escape", NULL };
    char *log = NULL;
    assert_int_equal (harness_run (harness, "zchat-ctl", slash, &log), 1);
    assert_non_null (strstr (log, "a file name in this directory"));
    free (log);
    free (before);
    zcert_destroy (&pair);
    zcert_destroy (&after);
}

//  Flags that do not make a whole CURVE setup, and key files that do not
//  load, stop the tier at start with a line saying which.
static void
test_bad_settings (void **state)
{
    harness_t *harness = *state;
    harness_flags_t router_keys, gateway_keys;
    assert_true (harness_curve_router (harness, &router_keys));
    assert_true (harness_curve_gateway (harness, "gw1", true, &gateway_keys));
    char public [CONTROL_PATH_MAX], lonely [CONTROL_PATH_MAX], missing [CONTROL_PATH_MAX];
    snprintf (public, sizeof public, "%s/router", harness_dir (harness));
    //  A public key with no secret file beside it (zcert_load would find one)
    snprintf (lonely, sizeof lonely, "%s/%s/gw1", harness_dir (harness),
              HARNESS_CURVE_GATEWAYS);
    snprintf (missing, sizeof missing, "%s/nowhere", harness_dir (harness));
    char *log = NULL;

    const char *half [] = { router_keys.argv [0], router_keys.argv [1], NULL };
    assert_int_equal (harness_router_refused (harness, half, &log), 2);
    assert_non_null (strstr (log, "--curve-secret, --curve-allow and --control-allow go together"));
    free (log);
    const char *public_only [] = { "--curve-secret", lonely, router_keys.argv [2],
                                   router_keys.argv [3], router_keys.argv [4],
                                   router_keys.argv [5], NULL };
    assert_int_equal (harness_router_refused (harness, public_only, &log), 1);
    assert_non_null (strstr (log, "curve: no secret key"));
    free (log);
    const char *no_dir [] = { router_keys.argv [0], router_keys.argv [1], "--curve-allow",
                              missing, router_keys.argv [4], router_keys.argv [5], NULL };
    assert_int_equal (harness_router_refused (harness, no_dir, &log), 1);
    assert_non_null (strstr (log, "--curve-allow is not a readable directory"));
    free (log);

    const char *gateway_half [] = { "--listen", "127.0.0.1:0", gateway_keys.argv [0],
                                    gateway_keys.argv [1], NULL };
    assert_int_equal (harness_run (harness, "zchat-gateway", gateway_half, &log), 2);
    assert_non_null (strstr (log, "--curve-secret and --curve-server go together"));
    free (log);
    const char *gateway_missing [] = { "--listen", "127.0.0.1:0", "--curve-secret", missing,
                                       "--curve-server", public, NULL };
    assert_int_equal (harness_run (harness, "zchat-gateway", gateway_missing, &log), 1);
    assert_non_null (strstr (log, "curve: cannot load a key pair"));
    free (log);
    const char *ctl_half [] = { "--curve-server", public, "status", NULL };
    assert_int_equal (harness_run (harness, "zchat-ctl", ctl_half, &log), 2);
    free (log);
}

//  Without CURVE: one warning each, and everything works as before.
static void
test_plaintext_warns (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, NULL);
    assert_non_null (router);
    harness_client_t *client = harness_login (harness, gateway);
    assert_non_null (client);
    assert_true (harness_wait_status (harness, router, "gateways", 1, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (router, "curve off"), 1);
    assert_int_equal (harness_proc_log_count (router, "curve=off"), 1);
    assert_int_equal (harness_proc_log_count (gateway, "curve off"), 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_control_operators_only, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_keygen, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_bad_settings, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_plaintext_warns, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

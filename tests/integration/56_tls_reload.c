/*  =========================================================================
    56_tls_reload.c - the TLS certificate: checked at start, reloaded on SIGHUP

    A gateway refuses to start, with one clear log line and exit code 1,
    on an expired certificate, a key that does not match it, or a missing
    file. SIGHUP reloads certificate and key under live connections: a
    connection made before keeps chatting, a new one is shown the new
    certificate (subject and serial); a broken file is refused with one
    log line and the certificate in use is kept.
    =========================================================================
*/
#define _GNU_SOURCE
#include "harness.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELOAD_LINE_SIZE    512
#define RELOAD_GATEWAY_EXIT 1       //  gateway_new failed: main returns 1
#define RELOAD_OK           "zchat_gateway_tls_reloads_total{result=\"ok\"}"
#define RELOAD_FAILED       "zchat_gateway_tls_reloads_total{result=\"failed\"}"

static const char *s_metrics [] = { "--metrics-listen", "127.0.0.1:0", NULL };

//  The gateway's start with NAME's certificate and KEY's key fails with
//  exit code 1 and a log line containing why.
static void
s_refused (harness_t *harness, harness_proc_t *router, const char *name, const char *key,
           const char *why)
{
    char cert_path [HARNESS_PATH_BYTES], key_path [HARNESS_PATH_BYTES];
    harness_tls_path (harness, name, "pem", cert_path);
    harness_tls_path (harness, key, "key", key_path);
    const char *flags [] = {
        "--tls-listen", "127.0.0.1:0", "--tls-cert", cert_path, "--tls-key", key_path, NULL
    };
    char *log = NULL;
    int code = harness_gateway_refused (harness, router, flags, &log);
    assert_non_null (log);
    if (code != RELOAD_GATEWAY_EXIT || !strstr (log, why))
        fprintf (stderr, "wanted exit %d and '%s', got exit %d:\n%s\n", RELOAD_GATEWAY_EXIT,
                 why, code, log);
    assert_int_equal (code, RELOAD_GATEWAY_EXIT);
    assert_non_null (strstr (log, why));
    assert_null (strstr (log, "gateway: listening"));
    free (log);
}

static void
test_bad_certificate_at_start (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router = harness_router_start (harness, NULL);
    assert_non_null (router);
    harness_tls_cert (harness, "good", "zchat good", false);
    harness_tls_cert (harness, "other", "zchat other", false);
    harness_tls_cert (harness, "expired", "zchat expired", true);
    s_refused (harness, router, "expired", "expired",
               "tls: cannot use the certificate: certificate expired file=");
    s_refused (harness, router, "good", "other",
               "tls: cannot use the certificate: key does not match the certificate");
    s_refused (harness, router, "missing", "good",
               "tls: cannot use the certificate: cannot read the certificate "
               "(No such file or directory)");
    //  And the right pair starts
    assert_non_null (harness_gateway_start (harness, router, "gw1",
                                            harness_tls_flags (harness, "good", NULL)));
}

//  a's line reaches b and back.
static void
s_chat (harness_client_t *a, harness_client_t *b, const char *text)
{
    char line [RELOAD_LINE_SIZE];
    assert_int_equal (harness_send (a, "%s", text), 0);
    snprintf (line, sizeof line, "[general] %s: %s", harness_client_nick (a), text);
    assert_non_null (harness_expect (b, line, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (b, "re: %s", text), 0);
    snprintf (line, sizeof line, "[general] %s: re: %s", harness_client_nick (b), text);
    assert_non_null (harness_expect (a, line, HARNESS_TIMEOUT_MS));
}

static void
test_reload (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router = harness_router_start (harness, NULL);
    assert_non_null (router);
    harness_tls_cert (harness, "gateway", "zchat first", false);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1",
        harness_tls_flags (harness, "gateway", s_metrics));
    assert_non_null (gateway);
    harness_client_t *before = harness_login_tls (harness, gateway);
    assert_non_null (before);
    assert_string_equal (harness_client_tls_subject (before), "/CN=zchat first");
    char first_serial [RELOAD_LINE_SIZE];
    snprintf (first_serial, sizeof first_serial, "%s", harness_client_tls_serial (before));

    //  A new certificate in the same files, then SIGHUP
    harness_tls_cert (harness, "gateway", "zchat second", false);
    harness_proc_signal (gateway, SIGHUP);
    assert_true (harness_proc_wait_log (gateway, "tls: certificate reloaded subject=/CN=zchat "
                                        "second", HARNESS_TIMEOUT_MS));
    harness_client_t *after = harness_login_tls (harness, gateway);
    assert_non_null (after);
    assert_string_equal (harness_client_tls_subject (after), "/CN=zchat second");
    assert_string_not_equal (harness_client_tls_serial (after), first_serial);
    s_chat (before, after, "the old connection lives on");
    assert_int_equal (harness_wait_metric (gateway, RELOAD_OK, 1, HARNESS_TIMEOUT_MS), 1);

    //  A broken certificate file: refused in one line, the second one kept
    char cert_path [HARNESS_PATH_BYTES];
    harness_tls_path (harness, "gateway", "pem", cert_path);
    FILE *file = fopen (cert_path, "w");
    assert_non_null (file);
    fputs ("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n", file);
    fclose (file);
    harness_proc_signal (gateway, SIGHUP);
    assert_true (harness_proc_wait_log (gateway, "tls: reload refused", HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_wait_metric (gateway, RELOAD_FAILED, 1, HARNESS_TIMEOUT_MS), 1);
    assert_int_equal (harness_proc_log_count (gateway, "tls: reload refused"), 1);
    assert_int_equal (harness_proc_log_count (gateway, "tls: cannot"), 0);
    harness_client_t *later = harness_login_tls (harness, gateway);
    assert_non_null (later);
    assert_string_equal (harness_client_tls_subject (later), "/CN=zchat second");
    s_chat (later, before, "still the second certificate");
    s_chat (after, before, "and everyone is still here");

    //  A key that does not match: refused the same way
    harness_tls_cert (harness, "stranger", "zchat stranger", false);
    harness_tls_cert (harness, "gateway", "zchat third", false);
    char key_path [HARNESS_PATH_BYTES], stranger_key [HARNESS_PATH_BYTES];
    harness_tls_path (harness, "gateway", "key", key_path);
    harness_tls_path (harness, "stranger", "key", stranger_key);
    assert_int_equal (rename (stranger_key, key_path), 0);
    harness_proc_signal (gateway, SIGHUP);
    assert_int_equal (harness_wait_metric (gateway, RELOAD_FAILED, 2, HARNESS_TIMEOUT_MS), 2);
    assert_true (harness_proc_wait_log (gateway, "key does not match", HARNESS_TIMEOUT_MS));
    harness_client_t *last = harness_login_tls (harness, gateway);
    assert_non_null (last);
    assert_string_equal (harness_client_tls_subject (last), "/CN=zchat second");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_bad_certificate_at_start, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_reload, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    test_metrics.c - metric tables and their Prometheus exposition

    The exposition is checked twice: against exact lines here, and by
    Prometheus's own linter (promtool check metrics, from Debian's
    prometheus package, which scripts/install-deps.sh installs), which
    also fails on lint warnings (exit 3).
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "metrics.h"

#define TEST_METRICS(X) \
    X (TEST_LINES, METRICS_COUNTER, "zchat_test_lines_received_total", "", \
       "Lines received from clients.") \
    X (TEST_CLOSED_QUIT, METRICS_COUNTER, "zchat_test_clients_closed_total", "reason=\"quit\"", \
       "Clients closed, by reason.") \
    X (TEST_CLOSED_IDLE, METRICS_COUNTER, "zchat_test_clients_closed_total", "reason=\"idle\"", \
       "Clients closed, by reason.") \
    X (TEST_CLIENTS, METRICS_GAUGE, "zchat_test_clients", "", "Connected clients.") \
    X (TEST_LATENCY, METRICS_HISTOGRAM, "zchat_test_delivery_seconds", "", \
       "Time from reading a published message to writing it to a client.")

typedef enum { TEST_METRICS (METRICS_ID) TEST_METRIC_COUNT } test_metric_t;
static const metrics_def_t s_defs [] = { TEST_METRICS (METRICS_ROW) };

static void
test_counting_and_text (void **state)
{
    (void) state;
    metrics_t *metrics = metrics_new (s_defs, TEST_METRIC_COUNT);
    metrics_add (metrics, TEST_LINES, 3);
    metrics_add (metrics, TEST_LINES, 2);
    metrics_add (metrics, TEST_CLOSED_IDLE, 1);
    metrics_set (metrics, TEST_CLIENTS, 10);
    metrics_sub (metrics, TEST_CLIENTS, 1);
    assert_int_equal (metrics_value (metrics, TEST_LINES), 5);
    assert_int_equal (metrics_value (metrics, TEST_CLIENTS), 9);
    metrics_observe (metrics, TEST_LATENCY, 0.00002);   //  first bucket
    metrics_observe (metrics, TEST_LATENCY, 0.003);     //  le 0.005
    metrics_observe (metrics, TEST_LATENCY, 100);       //  +Inf only

    char *text = metrics_render (metrics);
    const char *expected =
        "# HELP zchat_test_lines_received_total Lines received from clients.\n"
        "# TYPE zchat_test_lines_received_total counter\n"
        "zchat_test_lines_received_total 5\n"
        "# HELP zchat_test_clients_closed_total Clients closed, by reason.\n"
        "# TYPE zchat_test_clients_closed_total counter\n"
        "zchat_test_clients_closed_total{reason=\"quit\"} 0\n"
        "zchat_test_clients_closed_total{reason=\"idle\"} 1\n"
        "# HELP zchat_test_clients Connected clients.\n"
        "# TYPE zchat_test_clients gauge\n"
        "zchat_test_clients 9\n"
        "# HELP zchat_test_delivery_seconds Time from reading a published message to "
        "writing it to a client.\n"
        "# TYPE zchat_test_delivery_seconds histogram\n"
        "zchat_test_delivery_seconds_bucket{le=\"5e-05\"} 1\n";
    assert_memory_equal (text, expected, strlen (expected));
    assert_non_null (strstr (text, "zchat_test_delivery_seconds_bucket{le=\"0.005\"} 2\n"));
    assert_non_null (strstr (text, "zchat_test_delivery_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null (strstr (text, "zchat_test_delivery_seconds_count 3\n"));
    assert_non_null (strstr (text, "\nprocess_resident_memory_bytes "));
    assert_non_null (strstr (text, "\nprocess_open_fds "));
    assert_non_null (strstr (text, "\nprocess_cpu_seconds_total "));
    assert_non_null (strstr (text, "\nprocess_start_time_seconds "));
    assert_non_null (strstr (text, "\nzchat_build_info{version=\"" CHAT_VERSION "\",czmq=\""));
    zstr_free (&text);
    metrics_destroy (&metrics);
    metrics_destroy (&metrics);
}

static void
test_table_rules (void **state)
{
    (void) state;
    assert_true (metrics_table_valid (s_defs, TEST_METRIC_COUNT));
    const metrics_def_t no_prefix [] = {
        { METRICS_GAUGE, "test_clients", "", "x" } };
    const metrics_def_t counter_without_total [] = {
        { METRICS_COUNTER, "zchat_test_lines", "", "x" } };
    const metrics_def_t gauge_with_total [] = {
        { METRICS_GAUGE, "zchat_test_lines_total", "", "x" } };
    const metrics_def_t family_apart [] = {
        { METRICS_COUNTER, "zchat_a_total", "reason=\"x\"", "x" },
        { METRICS_GAUGE, "zchat_b", "", "x" },
        { METRICS_COUNTER, "zchat_a_total", "reason=\"y\"", "x" } };
    assert_false (metrics_table_valid (no_prefix, 1));
    assert_false (metrics_table_valid (counter_without_total, 1));
    assert_false (metrics_table_valid (gauge_with_total, 1));
    assert_false (metrics_table_valid (family_apart, 3));
}

//  Prometheus's own linter: exit 0 (no problem), not 1 (error) or 3 (lint).
static void
test_promtool_accepts_it (void **state)
{
    (void) state;
    metrics_t *metrics = metrics_new (s_defs, TEST_METRIC_COUNT);
    metrics_observe (metrics, TEST_LATENCY, 0.001);
    char *text = metrics_render (metrics);
    FILE *promtool = popen ("promtool check metrics", "w");
    assert_non_null (promtool);
    fputs (text, promtool);
    int status = pclose (promtool);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    zstr_free (&text);
    metrics_destroy (&metrics);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_counting_and_text),
        cmocka_unit_test (test_table_rules),
        cmocka_unit_test (test_promtool_accepts_it),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

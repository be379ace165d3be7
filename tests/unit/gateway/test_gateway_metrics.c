/*  =========================================================================
    test_gateway_metrics.c - the gateway's table, and one latency observation per batch
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "gateway_metrics.h"

static void
test_table_valid (void **state)
{
    (void) state;
    gateway_metrics_start ();
    assert_true (metrics_table_valid (gateway_metrics_defs (), GATEWAY_METRIC_COUNT));
    GATEWAY_COUNT (GATEWAY_METRIC_CLOSED_IDLE);
    char *text = metrics_render (&gateway_metrics);
    assert_non_null (strstr (text, "zchat_gateway_clients_closed_total{reason=\"idle\"} 1\n"));
    free (text);
}

//  A batch that delivered lines is observed once, at the end of its pass;
//  a batch that delivered nothing (BEATs, PROBED) is not observed at all.
static void
test_one_observation_per_batch (void **state)
{
    (void) state;
    metrics_histogram_t *histogram = &gateway_metrics.histograms [GATEWAY_METRIC_DELIVERY];
    uint64_t count = histogram->count;
    gateway_metrics_batch_read ();
    GATEWAY_COUNT (GATEWAY_METRIC_LINES_DELIVERED);
    gateway_metrics_batch_read ();      //  later messages of the same batch
    GATEWAY_COUNT (GATEWAY_METRIC_LINES_DELIVERED);
    gateway_metrics_batch_done ();
    assert_int_equal (histogram->count, count + 1);
    gateway_metrics_batch_done ();      //  a pass without a batch
    assert_int_equal (histogram->count, count + 1);
    gateway_metrics_batch_read ();
    gateway_metrics_batch_done ();
    assert_int_equal (histogram->count, count + 1);
}

//  No server (--metrics-listen off): publishing is a no-op.
static void
test_publish_without_server (void **state)
{
    (void) state;
    gateway_gauges_t gauges = { .clients_tcp = 7, .clients_tls = 3, .queued = 1, .rooms = 2, .router_up = true };
    gateway_metrics_publish (NULL, &gauges, 0);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TCP), 0);
}

static void
test_publish_sets_gauges (void **state)
{
    (void) state;
    metrics_server_t *server = gateway_metrics_server_new ("127.0.0.1:0");
    assert_non_null (server);
    gateway_gauges_t gauges = { .clients_tcp = 7, .clients_tls = 3, .queued = 1, .rooms = 2, .router_up = true };
    gateway_metrics_publish (server, &gauges, INT64_MAX / 2);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TCP), 7);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TLS), 3);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_UPLINK_QUEUED), 1);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_ROOMS), 2);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_ROUTER_UP), 1);
    //  Not again within GATEWAY_METRICS_PUBLISH_MS
    gauges.clients_tcp = 8;
    gateway_metrics_publish (server, &gauges, INT64_MAX / 2 + 1);
    assert_int_equal (metrics_value (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TCP), 7);
    metrics_server_destroy (&server);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_table_valid),
        cmocka_unit_test (test_one_observation_per_batch),
        cmocka_unit_test (test_publish_without_server),
        cmocka_unit_test (test_publish_sets_gauges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

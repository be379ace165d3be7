/*  =========================================================================
    test_router_metrics.c - the router's table keeps the rules; verbs and drops find their rows
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "router_metrics.h"

static void
test_table_valid (void **state)
{
    (void) state;
    assert_true (metrics_table_valid (router_metrics_defs (), ROUTER_METRIC_COUNT));
    metrics_t *metrics = metrics_new (router_metrics_defs (), ROUTER_METRIC_COUNT);
    assert_non_null (metrics);
    metrics_add (metrics, router_metrics_request (WIRE_SAY), 1);
    char *text = metrics_render (metrics);
    assert_non_null (strstr (text, "zchat_router_requests_total{verb=\"say\"} 1\n"));
    //  A family's help and type once
    char *first = strstr (text, "# TYPE zchat_router_requests_total counter");
    assert_non_null (first);
    assert_null (strstr (first + 1, "# TYPE zchat_router_requests_total"));
    free (text);
    metrics_destroy (&metrics);
}

static void
test_request_rows (void **state)
{
    (void) state;
    assert_int_equal (router_metrics_request (WIRE_HELLO), ROUTER_METRIC_REQUESTS_HELLO);
    assert_int_equal (router_metrics_request (WIRE_SAY), ROUTER_METRIC_REQUESTS_SAY);
    assert_int_equal (router_metrics_request (WIRE_WHO), ROUTER_METRIC_REQUESTS_WHO);
    assert_int_equal (router_metrics_request (WIRE_DRAINED), ROUTER_METRIC_REQUESTS_DRAINED);
    //  Not a request: replies, published verbs, junk
    assert_int_equal (router_metrics_request (WIRE_WELCOME), ROUTER_METRIC_REQUESTS_OTHER);
    assert_int_equal (router_metrics_request (WIRE_CHAT), ROUTER_METRIC_REQUESTS_OTHER);
    assert_int_equal (router_metrics_request (WIRE_INVALID), ROUTER_METRIC_REQUESTS_OTHER);
    assert_int_equal (router_metrics_request (WIRE_ID_COUNT), ROUTER_METRIC_REQUESTS_OTHER);
}

static void
test_drop_rows (void **state)
{
    (void) state;
    assert_int_equal (router_metrics_drop ("lost"), ROUTER_METRIC_DROPS_TIMEOUT);
    assert_int_equal (router_metrics_drop ("left"), ROUTER_METRIC_DROPS_BYE);
    assert_int_equal (router_metrics_drop ("drained"), ROUTER_METRIC_DROPS_DRAINED);
    assert_int_equal (router_metrics_drop ("restarted"), ROUTER_METRIC_DROPS_RESTARTED);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_table_valid),
        cmocka_unit_test (test_request_rows),
        cmocka_unit_test (test_drop_rows),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

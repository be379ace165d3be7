/*  =========================================================================
    test_gateways.c - one gateway record, and the registry of them
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "gateways.h"

static void
test_gateway (void **state)
{
    (void) state;
    gateway_t *gateway = gateway_new ("gw1-3f2a", "secret-route", "gw1", 100);
    assert_non_null (gateway);
    assert_string_equal (gateway_id (gateway), "gw1-3f2a");
    assert_string_equal (gateway_route (gateway), "secret-route");
    assert_string_equal (gateway_name (gateway), "gw1");
    assert_int_equal (gateway_last_seen (gateway), 100);
    gateway_touch (gateway, 250);
    assert_int_equal (gateway_last_seen (gateway), 250);

    gateway_destroy (&gateway);
    assert_null (gateway);
    gateway_destroy (&gateway);

    gateway = gateway_new ("gw2", "r2", NULL, 0);
    assert_string_equal (gateway_name (gateway), "");
    gateway_destroy (&gateway);
}

static void
test_registry (void **state)
{
    (void) state;
    gateways_t *gateways = gateways_new ();
    assert_non_null (gateways);
    assert_int_equal (gateways_size (gateways), 0);
    assert_null (gateways_lookup (gateways, "gw1"));

    gateway_t *gw2 = gateways_add (gateways, "gw2", "route2", "two", 1);
    gateway_t *gw1 = gateways_add (gateways, "gw1", "route1", "one", 1);
    assert_non_null (gw1);
    assert_non_null (gw2);
    //  One registration per id and per route
    assert_null (gateways_add (gateways, "gw1", "route3", "again", 2));
    assert_null (gateways_add (gateways, "gw3", "route1", "again", 2));
    assert_ptr_equal (gateways_lookup (gateways, "gw1"), gw1);
    assert_null (gateways_lookup (gateways, "gw"));
    assert_ptr_equal (gateways_by_route (gateways, "route1"), gw1);
    assert_ptr_equal (gateways_by_route (gateways, "route2"), gw2);
    assert_null (gateways_by_route (gateways, "gw1"));
    assert_int_equal (gateways_size (gateways), 2);

    zlistx_t *sorted = gateways_sorted (gateways);
    assert_ptr_equal (zlistx_first (sorted), gw1);
    assert_ptr_equal (zlistx_next (sorted), gw2);
    //  Removing while walking the sorted copy is safe
    assert_int_equal (gateways_remove (gateways, gateway_id (gw1)), 0);
    assert_null (zlistx_next (sorted));
    zlistx_destroy (&sorted);
    assert_int_equal (gateways_remove (gateways, "gw1"), -1);
    assert_int_equal (gateways_size (gateways), 1);
    assert_null (gateways_by_route (gateways, "route1"));

    //  A removed id and route can register again
    assert_non_null (gateways_add (gateways, "gw1", "route1", "one", 3));
    gateways_destroy (&gateways);
    assert_null (gateways);
    gateways_destroy (&gateways);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_gateway),
        cmocka_unit_test (test_registry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    router_metrics.c - the router's metrics table and its label lookups

    The rows come from ROUTER_METRICS in router_metrics.h; this file holds
    the static table and maps a verb or a drop event to its row. The
    router_t owns the values (router.c) and publishes them to its metrics
    server once per ROUTER_METRICS_PUBLISH_MS.
    =========================================================================
*/
#include "router_metrics.h"

static const metrics_def_t s_defs [] = { ROUTER_METRICS (METRICS_ROW) };

//  The verb rows follow wire.h's ingress verbs one for one
_Static_assert (ROUTER_METRIC_REQUESTS_DRAINED - ROUTER_METRIC_REQUESTS_HELLO
                == WIRE_DRAINED - WIRE_HELLO, "requests rows follow the ingress verbs");
_Static_assert (sizeof (s_defs) / sizeof (s_defs [0]) == ROUTER_METRIC_COUNT,
                "one row per id");

const metrics_def_t *
router_metrics_defs (void)
{
    return s_defs;
}

router_metric_t
router_metrics_request (wire_id_t id)
{
    if (id < WIRE_HELLO || id > WIRE_DRAINED)
        return ROUTER_METRIC_REQUESTS_OTHER;
    return (router_metric_t) (ROUTER_METRIC_REQUESTS_HELLO + (id - WIRE_HELLO));
}

router_metric_t
router_metrics_drop (const char *event)
{
    assert (event);
    if (streq (event, "left"))
        return ROUTER_METRIC_DROPS_BYE;
    if (streq (event, "drained"))
        return ROUTER_METRIC_DROPS_DRAINED;
    if (streq (event, "restarted"))
        return ROUTER_METRIC_DROPS_RESTARTED;
    return ROUTER_METRIC_DROPS_TIMEOUT;     //  "lost"
}

/*  =========================================================================
    gateway_metrics.c - the gateway's metrics table, its values, the batch stamp

    The one static set of values (gateway_metrics.h says why), and the two
    halves of the delivery latency measurement. gateway.c starts the
    gauges and the throttled publish to the metrics server gateway.c runs.
    =========================================================================
*/
#include "gateway_metrics.h"
#include "client.h"

#define GATEWAY_USEC_PER_SEC    1000000.0

static const metrics_def_t s_defs [] = { GATEWAY_METRICS (METRICS_ROW) };
static uint64_t s_values [GATEWAY_METRIC_COUNT];
static metrics_histogram_t s_histograms [GATEWAY_METRIC_COUNT];

_Static_assert (sizeof (s_defs) / sizeof (s_defs [0]) == GATEWAY_METRIC_COUNT,
                "one row per id");
_Static_assert (GATEWAY_METRIC_CLOSED_TIMEOUT - GATEWAY_METRIC_CLOSED_QUIT
                == CLIENT_CLOSE_TIMEOUT - CLIENT_CLOSE_QUIT,
                "closed rows follow client_close_reason_t");

metrics_t gateway_metrics = {
    .defs = s_defs,
    .count = GATEWAY_METRIC_COUNT,
    .values = s_values,
    .histograms = s_histograms
};

static int64_t s_next_publish;     //  loop time of the next copy

//  The batch being delivered: when it was read (0 = none this pass) and
//  the delivered-lines count then.
static int64_t s_batch_read_us;
static uint64_t s_batch_delivered;

const metrics_def_t *
gateway_metrics_defs (void)
{
    return s_defs;
}

void
gateway_metrics_start (void)
{
    assert (metrics_table_valid (s_defs, GATEWAY_METRIC_COUNT));
    gateway_metrics.start_time_ms = zclock_time ();
}

metrics_server_t *
gateway_metrics_server_new (const char *address)
{
    metrics_server_config_t config;
    metrics_server_config_defaults (&config);
    config.address = address;
    return metrics_server_new (&config, s_defs, GATEWAY_METRIC_COUNT, "gateway");
}

void
gateway_metrics_publish (metrics_server_t *server, const gateway_gauges_t *gauges, int64_t now)
{
    assert (gauges);
    if (!server || now < s_next_publish)
        return;
    metrics_set (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TCP, gauges->clients_tcp);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_CONNECTED_TLS, gauges->clients_tls);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_TLS_HANDSHAKING, gauges->tls_handshaking);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_CONNECTED_WS, gauges->clients_ws);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_UPLINK_QUEUED, gauges->queued);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_ROOMS, gauges->rooms);
    metrics_set (&gateway_metrics, GATEWAY_METRIC_ROUTER_UP, gauges->router_up);
    metrics_server_publish (server, &gateway_metrics);
    s_next_publish = now + GATEWAY_METRICS_PUBLISH_MS;
}

void
gateway_metrics_batch_read (void)
{
    if (s_batch_read_us)
        return;
    s_batch_read_us = zclock_usecs ();
    s_batch_delivered = s_values [GATEWAY_METRIC_LINES_DELIVERED];
}

void
gateway_metrics_batch_done (void)
{
    if (!s_batch_read_us)
        return;
    if (s_values [GATEWAY_METRIC_LINES_DELIVERED] != s_batch_delivered)
        metrics_observe (&gateway_metrics, GATEWAY_METRIC_DELIVERY,
                         (double) (zclock_usecs () - s_batch_read_us) / GATEWAY_USEC_PER_SEC);
    s_batch_read_us = 0;
}

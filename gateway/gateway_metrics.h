/*  =========================================================================
    gateway_metrics.h - the gateway's metrics, named once

    The gateway's rows (include/metrics.h) and the one set of values the
    process counts into. One gateway runs per process and every count
    happens in its loop thread, so the values are a single static table:
    client.c, listener.c, relay.c and fanout.c count with one line each
    (GATEWAY_COUNT / GATEWAY_ADD) without a pointer threaded through every
    constructor. Gauges are set just before each publish; the metrics
    server (--metrics-listen) gets a copy at most every
    GATEWAY_METRICS_PUBLISH_MS, from the gateway's tick.

    The delivery latency histogram costs two clock reads per batch of
    published messages, not one per delivery: the relay stamps the time
    it reads the first message of a batch off the SUB socket, and the
    gateway's last hook of the pass (after every client's output was
    written) observes the time since, once, if the batch delivered lines.
    =========================================================================
*/
#ifndef GATEWAY_METRICS_H_INCLUDED
#define GATEWAY_METRICS_H_INCLUDED

#include "chat.h"
#include "metrics.h"
#include "metrics_server.h"

#define GATEWAY_METRICS_PUBLISH_MS  500     //  /metrics values are at most this old (plus a tick)

#define GATEWAY_REFUSED         "zchat_gateway_connections_refused_total"
#define GATEWAY_REFUSED_HELP    "Client connections refused at once, by reason."
#define GATEWAY_CLOSED          "zchat_gateway_clients_closed_total"
#define GATEWAY_CLOSED_HELP     "Client connections closed, by reason."
#define GATEWAY_CONNECTED       "zchat_gateway_clients_connected"
#define GATEWAY_CONNECTED_HELP  "Client connections open now, by transport."
#define GATEWAY_TLS_FAILED      "zchat_gateway_tls_handshake_failures_total"
#define GATEWAY_TLS_FAILED_HELP "TLS handshakes given up, by reason (timeout: not done within " \
                                "--tls-handshake-timeout; eof: the peer left; version: only " \
                                "protocols below TLS 1.2; protocol: not TLS, or no common " \
                                "cipher; error: ours)."
#define GATEWAY_TLS_RELOADS     "zchat_gateway_tls_reloads_total"
#define GATEWAY_TLS_RELOADS_HELP "Certificate reloads (SIGHUP), by result."
#define GATEWAY_WS_CLOSE        "zchat_gateway_ws_close_frames_sent_total"
#define GATEWAY_WS_CLOSE_HELP   "WebSocket close frames sent, by status code."
#define GATEWAY_HTTP            "zchat_gateway_http_responses_total"
#define GATEWAY_HTTP_HELP       "HTTP answers on the --http-listen port, by what they were."

//  The closed rows run in client.h's client_close_reason_t order.
#define GATEWAY_METRICS(X) \
    X (GATEWAY_METRIC_CONNECTED_TCP, METRICS_GAUGE, GATEWAY_CONNECTED, "transport=\"tcp\"", \
       GATEWAY_CONNECTED_HELP) \
    X (GATEWAY_METRIC_CONNECTED_TLS, METRICS_GAUGE, GATEWAY_CONNECTED, "transport=\"tls\"", \
       GATEWAY_CONNECTED_HELP) \
    X (GATEWAY_METRIC_CONNECTED_WS, METRICS_GAUGE, GATEWAY_CONNECTED, "transport=\"ws\"", \
       GATEWAY_CONNECTED_HELP) \
    X (GATEWAY_METRIC_TLS_HANDSHAKING, METRICS_GAUGE, "zchat_gateway_tls_handshakes_in_progress", \
       "", "Connections to the TLS port still in their handshake.") \
    X (GATEWAY_METRIC_TLS_HANDSHAKES, METRICS_COUNTER, "zchat_gateway_tls_handshakes_total", \
       "", "TLS handshakes completed (the connection became a client).") \
    X (GATEWAY_METRIC_TLS_FAILED_TIMEOUT, METRICS_COUNTER, GATEWAY_TLS_FAILED, \
       "reason=\"timeout\"", GATEWAY_TLS_FAILED_HELP) \
    X (GATEWAY_METRIC_TLS_FAILED_EOF, METRICS_COUNTER, GATEWAY_TLS_FAILED, \
       "reason=\"eof\"", GATEWAY_TLS_FAILED_HELP) \
    X (GATEWAY_METRIC_TLS_FAILED_VERSION, METRICS_COUNTER, GATEWAY_TLS_FAILED, \
       "reason=\"version\"", GATEWAY_TLS_FAILED_HELP) \
    X (GATEWAY_METRIC_TLS_FAILED_PROTOCOL, METRICS_COUNTER, GATEWAY_TLS_FAILED, \
       "reason=\"protocol\"", GATEWAY_TLS_FAILED_HELP) \
    X (GATEWAY_METRIC_TLS_FAILED_ERROR, METRICS_COUNTER, GATEWAY_TLS_FAILED, \
       "reason=\"error\"", GATEWAY_TLS_FAILED_HELP) \
    X (GATEWAY_METRIC_TLS_RELOADS_OK, METRICS_COUNTER, GATEWAY_TLS_RELOADS, \
       "result=\"ok\"", GATEWAY_TLS_RELOADS_HELP) \
    X (GATEWAY_METRIC_TLS_RELOADS_FAILED, METRICS_COUNTER, GATEWAY_TLS_RELOADS, \
       "result=\"failed\"", GATEWAY_TLS_RELOADS_HELP) \
    X (GATEWAY_METRIC_HTTP_PAGE, METRICS_COUNTER, GATEWAY_HTTP, "result=\"page\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_HTTP_UPGRADE, METRICS_COUNTER, GATEWAY_HTTP, "result=\"upgrade\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_HTTP_ORIGIN, METRICS_COUNTER, GATEWAY_HTTP, "result=\"origin_refused\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_HTTP_NOT_FOUND, METRICS_COUNTER, GATEWAY_HTTP, "result=\"not_found\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_HTTP_BAD, METRICS_COUNTER, GATEWAY_HTTP, "result=\"refused\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_HTTP_TIMEOUT, METRICS_COUNTER, GATEWAY_HTTP, "result=\"timeout\"", \
       GATEWAY_HTTP_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1000, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1000\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1001, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1001\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1002, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1002\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1003, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1003\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1007, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1007\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_1009, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"1009\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_WS_CLOSE_OTHER, METRICS_COUNTER, GATEWAY_WS_CLOSE, "code=\"other\"", \
       GATEWAY_WS_CLOSE_HELP) \
    X (GATEWAY_METRIC_ACCEPTED, METRICS_COUNTER, "zchat_gateway_connections_accepted_total", \
       "", "Client connections accepted.") \
    X (GATEWAY_METRIC_REFUSED_FULL, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"full\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_REFUSED_BUSY, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"busy\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_REFUSED_CLOSING, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"closing\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_REFUSED_PER_IP, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"per_ip\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_REFUSED_RATE, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"rate\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_REFUSED_PROXY, METRICS_COUNTER, GATEWAY_REFUSED, "reason=\"proxy\"", \
       GATEWAY_REFUSED_HELP) \
    X (GATEWAY_METRIC_LINES_RECEIVED, METRICS_COUNTER, "zchat_gateway_lines_received_total", \
       "", "Lines received from clients and handed to their sessions.") \
    X (GATEWAY_METRIC_LINES_DELIVERED, METRICS_COUNTER, "zchat_gateway_lines_delivered_total", \
       "", "Room lines (chat, joins, parts, notices) queued to clients.") \
    X (GATEWAY_METRIC_BYTES_IN, METRICS_COUNTER, "zchat_gateway_received_bytes_total", "", \
       "Bytes read from client sockets.") \
    X (GATEWAY_METRIC_BYTES_OUT, METRICS_COUNTER, "zchat_gateway_sent_bytes_total", "", \
       "Bytes written to client sockets.") \
    X (GATEWAY_METRIC_SKIPPED, METRICS_COUNTER, "zchat_gateway_lines_skipped_total", "", \
       "Lines not queued to a client whose output was full (lagging reader).") \
    X (GATEWAY_METRIC_LAGGED, METRICS_COUNTER, "zchat_gateway_lagged_notices_total", "", \
       "\"lagged: N messages skipped\" notices sent.") \
    X (GATEWAY_METRIC_THROTTLED, METRICS_COUNTER, "zchat_gateway_lines_throttled_total", "", \
       "Lines made to wait for a flood-control token (--rate-lines).") \
    X (GATEWAY_METRIC_THROTTLES, METRICS_COUNTER, "zchat_gateway_flood_throttles_total", "", \
       "Flood-control episodes: a client's token bucket ran empty (told once each).") \
    X (GATEWAY_METRIC_HELD_DROPPED, METRICS_COUNTER, "zchat_gateway_held_lines_dropped_total", \
       "", "Lines dropped from a client whose held input reached --hold-max.") \
    X (GATEWAY_METRIC_CLOSED_QUIT, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"quit\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_EOF, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"eof\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_ERROR, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"error\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_IDLE, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"idle\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_STUCK, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"stuck\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_DRAIN, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"drain\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_SHUTDOWN, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"shutdown\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_REFUSED, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"refused\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_CLOSED_TIMEOUT, METRICS_COUNTER, GATEWAY_CLOSED, "reason=\"timeout\"", \
       GATEWAY_CLOSED_HELP) \
    X (GATEWAY_METRIC_UPLINK_QUEUED, METRICS_GAUGE, "zchat_gateway_uplink_queued_requests", "", \
       "Requests waiting in the gateway for room on a full uplink to the router.") \
    X (GATEWAY_METRIC_UPLINK_FULL, METRICS_COUNTER, "zchat_gateway_uplink_full_total", "", \
       "Times the uplink to the router filled and requests began to wait.") \
    X (GATEWAY_METRIC_ROUTER_UP, METRICS_GAUGE, "zchat_gateway_router_reachable", "", \
       "1 while the router beats and has welcomed this gateway, else 0.") \
    X (GATEWAY_METRIC_HANDSHAKES_FAILED, METRICS_COUNTER, \
       "zchat_gateway_router_handshakes_failed_total", "", \
       "Uplink handshakes the router refused (CURVE key not allowed, or one tier on " \
       "CURVE and the other not); each is retried.") \
    X (GATEWAY_METRIC_RESYNCS, METRICS_COUNTER, "zchat_gateway_resyncs_total", "", \
       "Re-registrations with the router (new router epoch, RESYNC, fresh id).") \
    X (GATEWAY_METRIC_GAPS, METRICS_COUNTER, "zchat_gateway_sequence_gaps_total", "", \
       "Room sequence gaps seen in the published stream.") \
    X (GATEWAY_METRIC_RECOVERED, METRICS_COUNTER, "zchat_gateway_recovered_messages_total", \
       "", "Room lines of those gaps fetched back from the router's history and delivered.") \
    X (GATEWAY_METRIC_MISSED, METRICS_COUNTER, "zchat_gateway_missed_messages_total", "", \
       "Room messages of those gaps not recovered, reported missed to the room's clients.") \
    X (GATEWAY_METRIC_ROOMS, METRICS_GAUGE, "zchat_gateway_subscribed_rooms", "", \
       "Rooms this gateway subscribes to (rooms with a local member).") \
    X (GATEWAY_METRIC_OUTPUT_BYTES, METRICS_GAUGE, "zchat_gateway_output_queued_bytes", "", \
       "Bytes queued in the gateway for clients, not yet written to their sockets.") \
    X (GATEWAY_METRIC_DELIVERY, METRICS_HISTOGRAM, "zchat_gateway_delivery_seconds", "", \
       "Time from reading a batch of published messages off the SUB socket to the end " \
       "of writing it to the clients, one observation per batch.")

typedef enum {
    GATEWAY_METRICS (METRICS_ID)
    GATEWAY_METRIC_COUNT
} gateway_metric_t;

//  The process's values (loop thread only).
extern metrics_t gateway_metrics;

#define GATEWAY_COUNT(id)           metrics_add (&gateway_metrics, (id), 1)
#define GATEWAY_ADD(id, amount)     metrics_add (&gateway_metrics, (id), (amount))
#define GATEWAY_SUB(id, amount)     metrics_sub (&gateway_metrics, (id), (amount))

//  The table, GATEWAY_METRIC_COUNT rows (static).
const metrics_def_t *
    gateway_metrics_defs (void);

//  What the gauges show now, from the modules that know.
typedef struct {
    size_t clients_tcp;             //  client connections open, plain TCP
    size_t clients_tls;             //  client connections open, TLS
    size_t clients_ws;              //  client connections open, WebSocket (ws and wss)
    size_t tls_handshaking;         //  TLS port connections in their handshake
    size_t queued;                  //  requests waiting for the uplink
    size_t rooms;                   //  rooms subscribed
    bool router_up;                 //  beating and welcomed, not resyncing
} gateway_gauges_t;

//  Start the process's values: the start time, the table checked.
void
    gateway_metrics_start (void);

//  Start a metrics server for the gateway's table on address; NULL
//  (logged) if the bind fails.
metrics_server_t *
    gateway_metrics_server_new (const char *address);

//  Set the gauges and hand server (NULL: none) a copy of the values, if
//  GATEWAY_METRICS_PUBLISH_MS have passed since the last (now is the
//  loop's clock, ms).
void
    gateway_metrics_publish (metrics_server_t *server, const gateway_gauges_t *gauges,
                             int64_t now);

//  The relay read the first message of a batch off the SUB socket: stamp
//  the time, unless this pass has a stamp already.
void
    gateway_metrics_batch_read (void);

//  End of a loop pass, output written: observe the stamped batch's
//  latency if it delivered lines, and clear the stamp.
void
    gateway_metrics_batch_done (void);

#endif

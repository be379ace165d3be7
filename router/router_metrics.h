/*  =========================================================================
    router_metrics.h - the router's metrics, named once

    The router's row of every metric it exports (include/metrics.h): the
    ids requests.c, liveness.c and router.c count with, and the table
    /metrics shows. Gauges (sessions, rooms, gateways, draining) are set
    from the registries just before each publish; counters move by one
    line at the event. The history rows are copied from store_stats at
    each publish: the store counts (its writer thread reports to the
    loop side over the actor pipe), so the router adds nothing per line. Label values are fixed words, never room names or
    nicknames.
    =========================================================================
*/
#ifndef ROUTER_METRICS_H_INCLUDED
#define ROUTER_METRICS_H_INCLUDED

#include "chat.h"
#include "metrics.h"
#include "wire.h"

#define ROUTER_REQUESTS     "zchat_router_requests_total"
#define ROUTER_REQUESTS_HELP "Requests read from gateways, by verb."
#define ROUTER_REFUSED      "zchat_router_refused_requests_total"
#define ROUTER_REFUSED_HELP "Requests answered with an error, by reason."
#define ROUTER_DROPS        "zchat_router_gateway_drops_total"
#define ROUTER_AUTH_REFUSED "zchat_router_auth_refused_total"
#define ROUTER_AUTH_REFUSED_HELP "CURVE handshakes the ZAP handler refused (key not allowed), by socket."
#define ROUTER_DROPS_HELP   "Gateways forgotten with their sessions, by cause."

//  The requests rows run in wire.h's order from HELLO to DRAINED, so a
//  verb's row is an offset (router_metrics_request).
#define ROUTER_METRICS(X) \
    X (ROUTER_METRIC_SESSIONS, METRICS_GAUGE, "zchat_router_sessions", "", \
       "Logged-in users.") \
    X (ROUTER_METRIC_ROOMS, METRICS_GAUGE, "zchat_router_rooms", "", \
       "Rooms with at least one member.") \
    X (ROUTER_METRIC_GATEWAYS, METRICS_GAUGE, "zchat_router_gateways", "", \
       "Registered gateways.") \
    X (ROUTER_METRIC_DRAINING, METRICS_GAUGE, "zchat_router_draining", "", \
       "1 while the router drains before exiting, else 0.") \
    X (ROUTER_METRIC_REQUESTS_HELLO, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"hello\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_HEARTBEAT, METRICS_COUNTER, ROUTER_REQUESTS, \
       "verb=\"heartbeat\"", ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_LOGIN, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"login\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_LOGOUT, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"logout\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_JOIN, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"join\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_NICK, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"nick\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_SAY, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"say\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_ACTION, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"action\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_PRIVMSG, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"privmsg\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_ROOMS, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"rooms\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_WHO, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"who\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_PROBE, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"probe\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_HISTORY, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"history\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_RECOVER, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"recover\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_BYE, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"bye\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_DRAINED, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"drained\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_REQUESTS_OTHER, METRICS_COUNTER, ROUTER_REQUESTS, "verb=\"other\"", \
       ROUTER_REQUESTS_HELP) \
    X (ROUTER_METRIC_MALFORMED, METRICS_COUNTER, "zchat_router_malformed_requests_total", "", \
       "Ingress messages that did not decode, dropped.") \
    X (ROUTER_METRIC_PUBLISHED, METRICS_COUNTER, "zchat_router_messages_published_total", "", \
       "Messages sent on the PUB socket: room traffic and control beats.") \
    X (ROUTER_METRIC_LINES, METRICS_COUNTER, "zchat_router_lines_published_total", "", \
       "Chat and /me lines published to rooms.") \
    X (ROUTER_METRIC_REFUSED_DRAINING, METRICS_COUNTER, ROUTER_REFUSED, "reason=\"draining\"", \
       ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_NO_SESSION, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"no_session\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_ROOM_NAME, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"room_name\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_ROOMS_FULL, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"rooms_full\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_SESSIONS_FULL, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"sessions_full\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_SAME_ROOM, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"same_room\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_NICK_INVALID, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"nick_invalid\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_NICK_TAKEN, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"nick_taken\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_NO_SUCH_NICK, METRICS_COUNTER, ROUTER_REFUSED, \
       "reason=\"no_such_nick\"", ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_REFUSED_HELLO, METRICS_COUNTER, ROUTER_REFUSED, "reason=\"hello\"", \
       ROUTER_REFUSED_HELP) \
    X (ROUTER_METRIC_DROPS_TIMEOUT, METRICS_COUNTER, ROUTER_DROPS, "cause=\"timeout\"", \
       ROUTER_DROPS_HELP) \
    X (ROUTER_METRIC_DROPS_BYE, METRICS_COUNTER, ROUTER_DROPS, "cause=\"bye\"", \
       ROUTER_DROPS_HELP) \
    X (ROUTER_METRIC_DROPS_DRAINED, METRICS_COUNTER, ROUTER_DROPS, "cause=\"drained\"", \
       ROUTER_DROPS_HELP) \
    X (ROUTER_METRIC_DROPS_RESTARTED, METRICS_COUNTER, ROUTER_DROPS, "cause=\"restarted\"", \
       ROUTER_DROPS_HELP) \
    X (ROUTER_METRIC_AUTH_REFUSED_GATEWAY, METRICS_COUNTER, ROUTER_AUTH_REFUSED, \
       "domain=\"gateway\"", ROUTER_AUTH_REFUSED_HELP) \
    X (ROUTER_METRIC_AUTH_REFUSED_CONTROL, METRICS_COUNTER, ROUTER_AUTH_REFUSED, \
       "domain=\"control\"", ROUTER_AUTH_REFUSED_HELP) \
    X (ROUTER_METRIC_RESYNCS, METRICS_COUNTER, "zchat_router_resyncs_sent_total", "", \
       "RESYNC answers to requests from unregistered gateway connections.") \
    X (ROUTER_METRIC_HISTORY_RECORDS, METRICS_GAUGE, "zchat_router_history_records", "", \
       "History lines held in memory, all rooms.") \
    X (ROUTER_METRIC_HISTORY_BYTES, METRICS_GAUGE, "zchat_router_history_memory_bytes", "", \
       "Bytes of memory those lines use (bounded by --history-memory).") \
    X (ROUTER_METRIC_HISTORY_ROOMS, METRICS_GAUGE, "zchat_router_history_rooms", "", \
       "Rooms with history held.") \
    X (ROUTER_METRIC_HISTORY_APPENDS, METRICS_COUNTER, "zchat_router_history_appends_total", \
       "", "Chat and /me lines added to the history store.") \
    X (ROUTER_METRIC_HISTORY_EVICTED, METRICS_COUNTER, "zchat_router_history_evicted_total", \
       "", "History lines dropped early to stay within --history-memory.") \
    X (ROUTER_METRIC_HISTORY_PENDING, METRICS_GAUGE, "zchat_router_history_pending_records", \
       "", "History lines accepted but not yet committed to disk (persistent store).") \
    X (ROUTER_METRIC_HISTORY_WRITES, METRICS_COUNTER, "zchat_router_history_writes_total", \
       "", "History lines committed to disk (persistent store).") \
    X (ROUTER_METRIC_HISTORY_WRITE_ERRORS, METRICS_COUNTER, \
       "zchat_router_history_write_errors_total", "", \
       "Failed history write attempts (each batch is kept and retried).") \
    X (ROUTER_METRIC_HISTORY_DROPPED, METRICS_COUNTER, "zchat_router_history_dropped_total", \
       "", "History lines never written to disk: the write backlog was full.") \
    X (ROUTER_METRIC_HISTORY_COMMIT, METRICS_HISTOGRAM, "zchat_router_history_commit_seconds", \
       "", "Time to commit one batch of history writes (one transaction).")

typedef enum {
    ROUTER_METRICS (METRICS_ID)
    ROUTER_METRIC_COUNT
} router_metric_t;

//  The table, ROUTER_METRIC_COUNT rows (static).
const metrics_def_t *
    router_metrics_defs (void);

//  The requests row of an ingress verb (verb="other" past DRAINED).
router_metric_t
    router_metrics_request (wire_id_t id);

//  The drops row of a router_gateway_drop event ("lost", "left", ...).
router_metric_t
    router_metrics_drop (const char *event);

#endif

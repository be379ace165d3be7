/*  =========================================================================
    metrics_server.h - GET /metrics on its own thread, from values the loop hands over

    A tier's loop thread owns its metrics_t and counts into it with plain
    adds. Once per tick it hands a copy of the values to this server
    (metrics_server_publish: one message on an inproc pipe), and the
    server's own thread (a zactor) answers scrapes from the latest copy.
    So a slow, hostile or numerous scraper costs the chat loop nothing:
    accepting, parsing (common/http.c), writing and timing out happen on
    the other thread, which shares no memory with the loop (STYLE.md §4).
    A scrape therefore sees values up to one tick old.

    Per connection: one request (GET or HEAD /metrics; anything else is
    404, 405 or the parser's 4xx), a deadline for the whole exchange, then
    close. Past max_connections, a new connection is closed at once.
    =========================================================================
*/
#ifndef METRICS_SERVER_H_INCLUDED
#define METRICS_SERVER_H_INCLUDED

#include "chat.h"
#include "metrics.h"

#define METRICS_SERVER_CONNECTIONS  16      //  scrapes served at once
#define METRICS_SERVER_TIMEOUT_MS   5000    //  for one request and its answer
#define METRICS_SERVER_PATH         "/metrics"

typedef struct {
    const char *address;            //  HOST:PORT to listen on (port 0 = any)
    size_t max_connections;         //  at once
    int64_t timeout_ms;             //  per connection
} metrics_server_config_t;

typedef struct _metrics_server_t metrics_server_t;

//  Fill config with the defaults above (address NULL).
void
    metrics_server_config_defaults (metrics_server_config_t *config);

//  Bind (in the caller's thread, so a bad address fails here, logged as
//  "<who>: ...") and start the server thread for a table (defs must
//  outlive the server). Returns NULL if the bind fails.
metrics_server_t *
    metrics_server_new (const metrics_server_config_t *config, const metrics_def_t *defs,
                        size_t count, const char *who);

//  Stop the thread and close every connection. NULL-safe.
void
    metrics_server_destroy (metrics_server_t **self_p);

//  The port bound.
int
    metrics_server_port (metrics_server_t *self);

//  Hand the server a copy of metrics' values (same table as at new);
//  later scrapes show them. Never blocks the caller.
void
    metrics_server_publish (metrics_server_t *self, metrics_t *metrics);

#endif

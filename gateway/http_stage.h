/*  =========================================================================
    http_stage.h - the --http-listen port: one HTTP request, then a page or a WebSocket

    A listener stage (listener.h): each admitted socket waits here while
    its request head arrives, read with the one HTTP parser (http.h) and
    bounded by its caps and a deadline; the loop never blocks on it. A
    GET of a page path is answered from the embedded assets
    (web_assets.h) and the connection closed; a GET of /ws that passes
    ws_handshake.h gets 101 and becomes a client over transport_ws (JSON
    events when it chose zchat.v1.json); anything else gets its status
    and is closed. docs/PROTOCOL.md section 3 lists the answers.
    =========================================================================
*/
#ifndef HTTP_STAGE_H_INCLUDED
#define HTTP_STAGE_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"
#include "listener.h"

typedef struct _http_stage_t http_stage_t;

typedef struct {
    const char *origins;            //  --ws-origin (ws_handshake.h), borrowed
    int64_t timeout_ms;             //  the request (and its answer) within this
    size_t max_message;             //  --max-line: a WebSocket message at most
    int64_t ping_interval_ms;       //  --ws-ping-interval; 0 = no pings
} http_stage_config_t;

//  Create the stage; clients is where upgraded sockets go. config is
//  copied (its strings borrowed). Never NULL.
http_stage_t *
    http_stage_new (loop_t *loop, client_set_t *clients, const http_stage_config_t *config);

//  Close every socket still waiting (entries given back) and free the
//  stage. NULL-safe.
void
    http_stage_destroy (http_stage_t **self_p);

//  A socket whose bytes come through lower (its state owned from now on):
//  the --https-listen port's connections after their TLS handshake
//  (tls_handshake_set_done), which answer and upgrade over TLS (wss).
//  arg is the stage; the plain port's sockets come through the listener
//  stage, over transport_tcp.
void
    http_stage_add_over (void *arg, int fd, admission_entry_t *entry,
                         const struct sockaddr *peer, const transport_ops_t *lower,
                         void *lower_state);

//  Sockets waiting for their request or answer now.
size_t
    http_stage_size (http_stage_t *self);

//  The listener_stage_t to give listener_set_stage with this stage.
const listener_stage_t *
    http_stage_ops (void);

#endif

/*  =========================================================================
    transport_ws.h - WebSocket (RFC 6455) under a client, over a lower transport

    After the HTTP stage (http_stage.c) has answered 101, a client's bytes
    are WebSocket frames: each text message in is one input line (a LF
    is added), each output line (CRLF-ended) goes out as one text frame.
    Framing is libwslay's event API, which does no I/O of its own: its
    callbacks read and write through the lower transport (plain TCP now,
    TLS for wss), so this fits the gateway's loop. docs/PROTOCOL.md
    section 3 has the rules (masking, fragments up to the line cap,
    UTF-8, close codes, pings).

    transport_ws carries plain lines; transport_ws_json is the same with
    TRANSPORT_JSON set, for a client that chose the zchat.v1.json
    subprotocol: format.c then renders its events as JSON, and the lines
    the client module makes itself (lagged, slow down, too long) are
    wrapped here as JSON events.
    =========================================================================
*/
#ifndef TRANSPORT_WS_H_INCLUDED
#define TRANSPORT_WS_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"
#include "transport.h"

extern const transport_ops_t transport_ws;
extern const transport_ops_t transport_ws_json;

typedef struct _transport_ws_t transport_ws_t;

typedef struct {
    size_t max_message;             //  bytes of a text message at most (--max-line)
    int64_t ping_interval_ms;       //  keepalive ping period; 0 = no pings
} transport_ws_config_t;

//  State for a connection that has just been upgraded, over lower (its
//  state is owned from now on). early holds the size bytes the client
//  sent after its request head (frames sent at once; copied). Returns
//  NULL (lower's state freed) on no memory.
transport_ws_t *
    transport_ws_new (loop_t *loop, int fd, const transport_ws_config_t *config,
                      const transport_ops_t *lower, void *lower_state,
                      const char *early, size_t size);

//  The client that got this state (client_set_accept_transport): starts
//  the keepalive pings, which close it when the peer stops answering.
void
    transport_ws_start (transport_ws_t *self, client_t *client);

#endif

/*  =========================================================================
    ws_handshake.h - is this HTTP request a WebSocket upgrade we accept?

    The checks of RFC 6455 section 4.2.1 on a parsed request head
    (http.h), the Origin allow-list, the subprotocol choice, and the
    Sec-WebSocket-Accept value of the answer. Pure: no I/O, so the HTTP
    stage (http_stage.c) asks it and the fuzz target drives it the same.
    =========================================================================
*/
#ifndef WS_HANDSHAKE_H_INCLUDED
#define WS_HANDSHAKE_H_INCLUDED

#include "chat.h"
#include "http.h"

#define WS_PATH             "/ws"               //  the upgrade's path
#define WS_VERSION          "13"                //  the only version (RFC 6455)
#define WS_PROTOCOL_JSON    "zchat.v1.json"     //  the JSON events subprotocol
#define WS_KEY_SIZE         24                  //  base64 of 16 bytes
#define WS_ACCEPT_SIZE      28                  //  base64 of a SHA-1
#define WS_ORIGIN_ANY       "*"                 //  --ws-origin: every origin

typedef struct {
    int status;                         //  101 to upgrade, else the answer's status
    const char *reason;                 //  one word for logs and metrics ("origin", ...)
    bool json;                          //  the client asked for WS_PROTOCOL_JSON
    char accept [WS_ACCEPT_SIZE + 1];   //  Sec-WebSocket-Accept (when 101)
} ws_handshake_t;

//  Check a complete GET of WS_PATH. origins is --ws-origin: "" allows only
//  the page's own origin ("http://" + Host, or "https://" + Host when
//  secure: the request came over TLS), WS_ORIGIN_ANY any, else a
//  comma-separated list of origins (compared case-insensitively). A
//  request without Origin (not from a browser) is allowed. Fills result
//  and returns its status.
int
    ws_handshake_check (http_request_t *request, const char *origins, bool secure,
                        ws_handshake_t *result);

//  Sec-WebSocket-Accept for key (WS_KEY_SIZE characters): base64 of the
//  SHA-1 of the key and RFC 6455's GUID, into accept (WS_ACCEPT_SIZE + 1).
void
    ws_handshake_accept (const char *key, char *accept);

//  True if origin is in list (the comma-separated --ws-origin form).
bool
    ws_handshake_origin_listed (const char *list, const char *origin);

#endif

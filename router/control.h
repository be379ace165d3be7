/*  =========================================================================
    control.h - the router's control socket (zchat-ctl talks to it)

    A ROUTER socket bound to --control. A request is one frame, the verb
    (WIRE_CTL_STATUS or WIRE_CTL_SHUTDOWN); a reply is two frames, "OK" or
    "ERROR" and a body of key=value lines. This module only moves those
    frames; the router decides what to answer.
    =========================================================================
*/
#ifndef CONTROL_H_INCLUDED
#define CONTROL_H_INCLUDED

#include "chat.h"

typedef enum {
    CONTROL_NONE = 0,       //  nothing usable was received
    CONTROL_AGAIN,          //  nothing waiting: the socket is drained
    CONTROL_STATUS,         //  report state
    CONTROL_SHUTDOWN,       //  start the drain
    CONTROL_UNKNOWN         //  a verb we do not know
} control_request_t;

typedef struct _control_t control_t;

//  Bind a control socket to endpoint; with cert (may be NULL) it is a
//  CURVE server whose clients the ZAP handler checks as operators
//  (zap.h). Returns NULL (logged) on failure.
control_t *
    control_new (const char *endpoint, zcert_t *cert);

//  Destroy the socket; NULL-safe, sets *self_p to NULL.
void
    control_destroy (control_t **self_p);

//  The socket, for the router's poller.
zsock_t *
    control_sock (control_t *self);

//  The endpoint actually bound (port resolved), e.g. tcp://127.0.0.1:5557.
const char *
    control_endpoint (control_t *self);

//  Receive one request without waiting. Remembers the peer for
//  control_reply. Returns what was asked, or CONTROL_AGAIN when nothing
//  is waiting (call until then: the socket's fd is edge-triggered).
control_request_t
    control_recv (control_t *self);

//  Answer the last request: OK (ok true) or ERROR, with body (lines,
//  may be empty). Never blocks; a vanished peer is ignored.
void
    control_reply (control_t *self, bool ok, const char *body);

#endif

/*  =========================================================================
    zap.h - the router's ZAP handler: which CURVE keys may talk to it

    libzmq asks a ZAP handler (ZeroMQ RFC 27) about every peer of a socket
    that has a ZAP domain; without a handler running, a CURVE server lets
    in any client that knows its public key. So zap_new starts the handler
    and loads both allow-lists before the router binds anything.

    Two domains, two lists: a peer of the ingress or publish socket
    (ZAP_DOMAIN_GATEWAY) must have its public key in the gateways'
    directory (--curve-allow); a peer of the control socket
    (ZAP_DOMAIN_CONTROL) in the operators' (--control-allow). A gateway
    key therefore cannot even finish a handshake with the control socket.
    Both lists are czmq zcertstores: a key dropped into (or removed from)
    a directory counts from the next handshake, with no signal.

    A refusal is logged once per peer (domain, address, key), not once
    per reconnect, and counted (zap_refused).
    =========================================================================
*/
#ifndef ZAP_H_INCLUDED
#define ZAP_H_INCLUDED

#include "chat.h"

#define ZAP_DOMAIN_GATEWAY  "gateway"   //  ingress and publish
#define ZAP_DOMAIN_CONTROL  "control"   //  zchat-ctl

typedef enum {
    ZAP_GATEWAY = 0,        //  refusals on ingress/publish
    ZAP_CONTROL,            //  refusals on control
    ZAP_DOMAIN_COUNT
} zap_domain_t;

typedef struct _zap_t zap_t;

//  Start the handler with the two allow directories. Returns NULL
//  (logged) if a directory cannot be read or the handler's endpoint is
//  taken (one handler per process).
zap_t *
    zap_new (const char *gateway_dir, const char *operator_dir);

//  Stop the handler; NULL-safe, sets *self_p to NULL.
void
    zap_destroy (zap_t **self_p);

//  Handshakes refused in a domain since start (any thread may read it).
uint64_t
    zap_refused (zap_t *self, zap_domain_t domain);

#endif

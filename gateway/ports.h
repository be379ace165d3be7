/*  =========================================================================
    ports.h - the gateway's listening ports

    Every socket the gateway listens on, opened in one place and in a
    fixed order: the client port (--listen), the TLS port (--tls-listen)
    with its certificate and handshake stage, the HTTP and HTTPS ports
    (--http-listen, --https-listen) with the HTTP stage in front of the
    WebSocket clients, the health port and the /metrics port. Each client
    port feeds the one client set, and all of them share --max-clients:
    a port counts the sockets waiting in every other port's stage too.

    The gateway closes the client-facing ports when it starts to drain or
    shut down (ports_close); the certificate (for SIGHUP and the open TLS
    clients) and the /metrics port stay until ports_destroy.
    =========================================================================
*/
#ifndef PORTS_H_INCLUDED
#define PORTS_H_INCLUDED

#include "chat.h"
#include "loop.h"
#include "client.h"
#include "gateway.h"
#include "gateway_metrics.h"

typedef struct _ports_t ports_t;

//  Open every port config asks for, in loop, feeding clients. config is
//  borrowed and must outlive the ports. Returns NULL (logged) when one
//  cannot be opened, or a certificate is bad.
ports_t *
    ports_new (loop_t *loop, client_set_t *clients, const gateway_config_t *config);

//  Stop taking clients: close the client ports, their stages (and the
//  sockets waiting in them) and the health port. Call it while the
//  client set lives. Calling it again does nothing.
void
    ports_close (ports_t *self);

//  Close what is left (ports_close first, if not done yet), the
//  certificate and the /metrics port included; destroy after the client
//  set, since TLS clients use the certificate. NULL-safe.
void
    ports_destroy (ports_t **self_p);

//  SIGHUP: load the TLS certificate again (counted in the metrics), or
//  log that there is nothing to reload.
void
    ports_reload (ports_t *self);

//  Tell health checks the gateway is ready (or not), if it has a health port.
void
    ports_set_ready (ports_t *self, bool ready);

//  Sockets in the TLS port's handshake stage now.
size_t
    ports_tls_handshaking (ports_t *self);

//  Hand the gauges to the /metrics port, if any (gateway_metrics.h).
void
    ports_publish (ports_t *self, const gateway_gauges_t *gauges, int64_t now);

//  Log the ready line, which names each bound port (tests and operators
//  wait for it) and id, the gateway's.
void
    ports_log_ready (ports_t *self, const char *id);

#endif

/*  =========================================================================
    address.h - "HOST:PORT" for the listening sockets of both tiers

    Every TCP port zchat opens itself (the gateway's client and health
    ports, the /metrics port of either tier) is named by one string:
    "HOST:PORT", "[V6ADDR]:PORT", ":PORT" or "*:PORT" (any address). Port
    0 picks a free port. One parser and one bind for all of them.
    =========================================================================
*/
#ifndef ADDRESS_H_INCLUDED
#define ADDRESS_H_INCLUDED

#include "chat.h"

#define ADDRESS_HOST_MAX        256     //  bytes of the host part, NUL included

//  Split address into host (ADDRESS_HOST_MAX bytes; "" = any address)
//  and port (0 .. 65535, decimal digits only). Returns 0, or -1 if the
//  address is malformed.
int
    address_parse (const char *address, char *host, int *port);

//  Bind and listen on address: a non-blocking, close-on-exec socket with
//  SO_REUSEADDR. Returns the fd and the port actually bound in *port_p,
//  or -1 with the reason logged ("<who>: bad address ..." and so on).
int
    address_listen (const char *address, int backlog, const char *who, int *port_p);

#endif

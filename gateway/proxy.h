/*  =========================================================================
    proxy.h - the PROXY protocol v2 header a balancer puts before a client

    HAProxy's send-proxy-v2 sends, before the client's first byte, a
    binary header carrying the client's real address (the spec:
    haproxy.org/download/2.9/doc/proxy-protocol.txt, section 2.2):
    a 12-byte signature, version and command, family and protocol, a
    length, then the addresses and optional TLVs (ignored here).

    The parser is resumable and never over-reads: proxy_wanted says how
    many bytes to read next, so what the client sends after the header
    stays in the socket for the normal input path. It holds at most
    PROXY_HEADER_MAX bytes; anything longer or malformed is an error.
    =========================================================================
*/
#ifndef PROXY_H_INCLUDED
#define PROXY_H_INCLUDED

#include "chat.h"
#include <netinet/in.h>

#define PROXY_FIXED_SIZE    16          //  signature, version/command, family, length
#define PROXY_BODY_MAX      512         //  addresses and TLVs we accept
#define PROXY_HEADER_MAX    (PROXY_FIXED_SIZE + PROXY_BODY_MAX)

typedef enum {
    PROXY_AGAIN,                //  need proxy_wanted () more bytes
    PROXY_DONE,                 //  header complete: proxy_address is set
    PROXY_ERROR                 //  not a valid v2 header (see proxy_error)
} proxy_result_t;

typedef struct {
    uint8_t header [PROXY_HEADER_MAX];
    size_t size;                //  bytes of header held
    size_t total;               //  the whole header's size, once known (else 0)
    proxy_result_t result;
    const char *error;          //  why, for the log, on PROXY_ERROR
    struct sockaddr_storage address;    //  the client's; AF_UNSPEC for LOCAL
} proxy_t;

void
    proxy_init (proxy_t *self);

//  Bytes the header still needs: read at most this many. 0 once done
//  or failed.
size_t
    proxy_wanted (const proxy_t *self);

//  Take up to size bytes of the header; *used_p (may be NULL) gets how
//  many were taken (never past the header). Returns the state after.
proxy_result_t
    proxy_feed (proxy_t *self, const uint8_t *data, size_t size, size_t *used_p);

//  The carried source address: AF_INET or AF_INET6 with port, or
//  AF_UNSPEC for a LOCAL header (the balancer's own health check) or an
//  unspecified family. Valid after PROXY_DONE.
const struct sockaddr *
    proxy_address (const proxy_t *self);

//  Why the header was refused, after PROXY_ERROR.
const char *
    proxy_error (const proxy_t *self);

#endif

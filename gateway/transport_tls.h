/*  =========================================================================
    transport_tls.h - TLS under a client: OpenSSL records on the socket

    A client on the TLS port (tls_handshake.h) reads and writes through
    an SSL object whose handshake is done. The session layer sees the
    same lines as on the plain port; TLS's own needs go through the
    transport seam (transport.h): decrypted input held inside OpenSSL
    (pending), a read that must wait for writability and a write that
    must wait for readability (interest, events), close_notify before
    the FIN (shutdown), and SSL_free (destroy).
    =========================================================================
*/
#ifndef TRANSPORT_TLS_H_INCLUDED
#define TRANSPORT_TLS_H_INCLUDED

#include "transport.h"
#include <openssl/ssl.h>

extern const transport_ops_t transport_tls;

//  The transport state of a connection whose handshake is done; takes
//  ssl (freed with the state, or here on failure). Returns NULL on no
//  memory.
void *
    transport_tls_new (SSL *ssl);

#endif

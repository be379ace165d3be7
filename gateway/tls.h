/*  =========================================================================
    tls.h - the gateway's TLS server context: protocol policy, certificate

    One tls_t holds the OpenSSL SSL_CTX every TLS client's connection is
    made from: TLS 1.2 at least (1.3 preferred), forward-secret AEAD
    ciphers only, no compression, no renegotiation, session resumption
    by tickets, and OpenSSL's memory modes (buffers released while a
    connection is idle). The certificate chain and key come from PEM
    files; tls_new refuses a missing, unreadable, expired or not yet
    valid certificate and a key that does not match it, with one log
    line that says which and why.

    tls_reload (SIGHUP) builds a new context from the same files: new
    connections get it, and connections already open keep the context
    they were made from (OpenSSL counts its references), so nobody is
    disconnected. A broken new file is refused and the old context kept.
    =========================================================================
*/
#ifndef TLS_H_INCLUDED
#define TLS_H_INCLUDED

#include "chat.h"
#include <openssl/ssl.h>

typedef struct _tls_t tls_t;

//  Load cert_file (PEM: the certificate, then its chain) and key_file
//  (PEM private key); both paths are copied. Returns NULL (logged) when
//  either cannot be used.
tls_t *
    tls_new (const char *cert_file, const char *key_file);

//  Free the context (connections made from it keep their reference).
//  NULL-safe.
void
    tls_destroy (tls_t **self_p);

//  Read both files again and, if they are good, use them for connections
//  from now on. Returns 0, or -1 (logged once) keeping the old ones.
int
    tls_reload (tls_t *self);

//  The context new connections are made from (borrowed; SSL_new takes a
//  reference of its own).
SSL_CTX *
    tls_context (tls_t *self);

//  The loaded certificate's subject and serial, for the log ("CN=...",
//  hex serial), borrowed until the next reload.
const char *
    tls_subject (tls_t *self);
const char *
    tls_serial (tls_t *self);

#endif

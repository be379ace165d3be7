/*  =========================================================================
    curve.h - CURVE key files, shared by the router, the gateway and zchat-ctl

    Keys live in czmq's zcert_save layout: NAME holds the public key (safe
    to copy anywhere), NAME_secret holds both keys (mode 0600, never leaves
    its host). A server socket takes a key pair and asks the ZAP handler
    (router/zap.c) about each client key; a client socket takes its own key
    pair and the server's public key. These helpers load those files and
    put them on a socket; every failure is logged as one line naming the
    file.
    =========================================================================
*/
#ifndef CURVE_H_INCLUDED
#define CURVE_H_INCLUDED

#include "chat.h"

#define CURVE_SECRET_SUFFIX     "_secret"   //  zcert_save's name for the secret file
#define CURVE_KEY_TEXT          40          //  Z85 characters of a 32-byte key

//  Load a key pair from path (NAME_secret, or NAME with NAME_secret
//  beside it, as zcert_load finds it). Returns the certificate for the
//  caller to destroy, or NULL (logged) when the file is missing, broken
//  or holds no secret key.
zcert_t *
    curve_load_pair (const char *path);

//  Load the public key from path (NAME) into key, Z85 text plus NUL.
//  Returns 0, or -1 (logged) when the file is missing or broken.
int
    curve_load_public (const char *path, char key [CURVE_KEY_TEXT + 1]);

//  Make sock a CURVE server with the key pair cert; ZAP requests for its
//  peers carry domain (the ZAP handler's policy). Call before binding.
void
    curve_apply_server (zsock_t *sock, zcert_t *cert, const char *domain);

//  Make sock a CURVE client with the key pair cert, talking to the server
//  whose public key is server_key. Call before connecting.
void
    curve_apply_client (zsock_t *sock, zcert_t *cert, const char *server_key);

//  Write a new key pair as name (public, mode 0644) and name_secret
//  (mode 0600), in the current directory, never replacing an existing
//  file. Returns 0, or -1 after printing why on stderr.
int
    curve_keygen (const char *name);

#endif

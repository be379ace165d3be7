/*  =========================================================================
    curve.c - CURVE key files, shared by the router, the gateway and zchat-ctl

    Thin over czmq's zcert: the files are zcert_save's, so czmq's own
    tools, zcertstore and other ZeroMQ programs read them too. What this
    adds is the checks a server needs at start (a key pair really holds a
    secret key) and the socket options in the right order.
    =========================================================================
*/
#include "curve.h"
#include <sys/stat.h>

#define CURVE_KEY_BYTES         32

//  True if every byte of a key is zero: zcert_load's "no secret key".
static bool
s_key_empty (const byte *key)
{
    for (size_t index = 0; index < CURVE_KEY_BYTES; index++)
        if (key [index])
            return false;
    return true;
}

zcert_t *
curve_load_pair (const char *path)
{
    assert (path);
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        zsys_error ("curve: cannot load a key pair file=%s", path);
        return NULL;
    }
    if (s_key_empty (zcert_secret_key (cert))) {
        zsys_error ("curve: no secret key in file=%s (give NAME%s)", path, CURVE_SECRET_SUFFIX);
        zcert_destroy (&cert);
        return NULL;
    }
    struct stat status;
    char secret [PATH_MAX];
    snprintf (secret, sizeof secret, "%s%s", path, CURVE_SECRET_SUFFIX);
    const char *file = stat (secret, &status) == 0? secret: path;
    if (stat (file, &status) == 0 && (status.st_mode & (S_IRWXG | S_IRWXO)))
        zsys_warning ("curve: secret key readable by others file=%s mode=%03o", file,
                      (unsigned) (status.st_mode & 0777));
    return cert;
}

int
curve_load_public (const char *path, char key [CURVE_KEY_TEXT + 1])
{
    assert (path);
    assert (key);
    //  zcert_load would prefer a NAME_secret beside it: the public key is
    //  the same there, and nothing secret is kept
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        zsys_error ("curve: cannot load a public key file=%s", path);
        return -1;
    }
    snprintf (key, CURVE_KEY_TEXT + 1, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

void
curve_apply_server (zsock_t *sock, zcert_t *cert, const char *domain)
{
    assert (sock);
    assert (cert);
    assert (domain);
    zsock_set_zap_domain (sock, domain);
    zsock_set_curve_server (sock, 1);
    zcert_apply (cert, sock);
}

void
curve_apply_client (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    assert (sock);
    assert (cert);
    assert (server_key);
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
}

int
curve_keygen (const char *name)
{
    assert (name);
    if (!*name || strchr (name, '/')) {
        fprintf (stderr, "zchat-ctl: keygen NAME: a file name in this directory\n");
        return -1;
    }
    char secret [PATH_MAX];
    snprintf (secret, sizeof secret, "%s%s", name, CURVE_SECRET_SUFFIX);
    const char *files [] = { name, secret };
    for (size_t index = 0; index < sizeof files / sizeof files [0]; index++) {
        struct stat status;
        if (lstat (files [index], &status) == 0) {
            fprintf (stderr, "zchat-ctl: %s exists, not replaced\n", files [index]);
            return -1;
        }
    }
    zcert_t *cert = zcert_new ();
    assert (cert);
    zcert_set_meta (cert, "name", "%s", name);
    //  The secret file first, under a private umask (czmq's own): a
    //  public key alone, left by a failed run, would look complete
    int rc = zcert_save_secret (cert, secret);
    if (rc == 0)
        rc = zcert_save_public (cert, name);
    if (rc == 0)
        rc = chmod (secret, S_IRUSR | S_IWUSR);
    if (rc)
        fprintf (stderr, "zchat-ctl: cannot write %s: %s\n", name, strerror (errno));
    else
        printf ("public key %s (give to the server: its allow directory)\n"
                "secret key %s (mode 0600, keep here)\n", name, secret);
    zcert_destroy (&cert);
    return rc? -1: 0;
}

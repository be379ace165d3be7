/*  =========================================================================
    harness_tls.c - TLS for the integration tests: a throw-away CA, TLS clients

    The CA and the gateway certificates are made by the openssl command
    in the harness's directory (so they vanish with it), the way an
    operator would make them; the certificates are signed by `openssl ca`,
    which can also date one in the past (an expired certificate). TLS
    clients are OpenSSL connections over harness_client.c's non-blocking
    sockets: the client verifies the gateway's certificate against the CA
    and the name "localhost", as `openssl s_client -verify_return_error`
    does. See harness.h for the API.
    =========================================================================
*/
#ifndef _GNU_SOURCE
#   define _GNU_SOURCE
#endif

#include "harness_private.h"

#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include <openssl/err.h>

#define HARNESS_TLS_COMMAND_MAX 4096    //  bytes of one openssl command line
#define HARNESS_TLS_NAME        "localhost"     //  the name the gateway's certificate carries
#define HARNESS_TLS_SLOTS       8       //  flag lists harness_tls_flags keeps at once
#define HARNESS_TLS_EXPIRED     "-startdate 20200101000000Z -enddate 20210101000000Z"
#define HARNESS_TLS_VALID       "-days 2"

//  The CA's configuration for `openssl ca`: any subject, the request's
//  extensions (subjectAltName) copied, serials counted in a file.
#define HARNESS_TLS_CA_CONFIG \
    "[ ca ]\n" \
    "default_ca = test_ca\n" \
    "[ test_ca ]\n" \
    "database = %s/ca.index\n" \
    "new_certs_dir = %s\n" \
    "serial = %s/ca.serial\n" \
    "default_md = sha256\n" \
    "policy = policy_any\n" \
    "copy_extensions = copy\n" \
    "unique_subject = no\n" \
    "[ policy_any ]\n" \
    "commonName = supplied\n"

//  Run a shell command in the harness directory; fail the test if it fails.
static void
s_run (harness_t *self, const char *command)
{
    char line [HARNESS_TLS_COMMAND_MAX];
    harness_format (line, sizeof line, "cd '%s' && (%s) >>tls.log 2>&1", self->dir, command);
    int rc = system (line);
    if (rc != 0) {
        char path [HARNESS_PATH_MAX];
        harness_format (path, sizeof path, "%s/tls.log", self->dir);
        char *log = harness_slurp (path);
        fprintf (stderr, "harness: '%s' failed (%d):\n%s\n", command, rc, log);
        free (log);
        fail ();
    }
}

void
harness_tls_path (harness_t *self, const char *name, const char *extension, char *path)
{
    harness_format (path, HARNESS_PATH_BYTES, "%s/%s.%s", self->dir, name, extension);
}

const char *
harness_tls_ca (harness_t *self)
{
    static char path [HARNESS_PATH_MAX];
    harness_tls_path (self, "ca", "pem", path);
    struct stat info;
    if (stat (path, &info) == 0)
        return path;
    char config [HARNESS_TLS_COMMAND_MAX];
    harness_format (config, sizeof config, HARNESS_TLS_CA_CONFIG, self->dir, self->dir, self->dir);
    char config_path [HARNESS_PATH_MAX];
    harness_tls_path (self, "ca", "cnf", config_path);
    FILE *file = fopen (config_path, "w");
    assert_non_null (file);
    fputs (config, file);
    fclose (file);
    s_run (self, ": > ca.index && echo 1000 > ca.serial && "
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                 "-keyout ca.key -out ca.pem -days 2 -subj '/CN=zchat test CA'");
    return path;
}

void
harness_tls_cert (harness_t *self, const char *name, const char *cn, bool expired)
{
    harness_tls_ca (self);
    char command [HARNESS_TLS_COMMAND_MAX];
    harness_format (command, sizeof command,
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout %s.key -out %s.csr -subj '/CN=%s' "
        "-addext 'subjectAltName=DNS:" HARNESS_TLS_NAME ",IP:127.0.0.1' && "
        "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -notext "
        "-in %s.csr -out %s.pem %s",
        name, name, cn, name, name, expired? HARNESS_TLS_EXPIRED: HARNESS_TLS_VALID);
    s_run (self, command);
}

const char **
harness_tls_flags (harness_t *self, const char *name, const char **more)
{
    static const char *slots [HARNESS_TLS_SLOTS][HARNESS_TLS_FLAGS_MAX];
    static char paths [HARNESS_TLS_SLOTS][2][HARNESS_PATH_BYTES];
    static int next = 0;
    int slot = next++ % HARNESS_TLS_SLOTS;
    harness_tls_path (self, name, "pem", paths [slot][0]);
    harness_tls_path (self, name, "key", paths [slot][1]);
    const char **flags = slots [slot];
    size_t count = 0;
    flags [count++] = "--tls-listen";
    flags [count++] = "127.0.0.1:0";
    flags [count++] = "--tls-cert";
    flags [count++] = paths [slot][0];
    flags [count++] = "--tls-key";
    flags [count++] = paths [slot][1];
    for (size_t index = 0; more && more [index]; index++) {
        assert_true (count < HARNESS_TLS_FLAGS_MAX - 1);
        flags [count++] = more [index];
    }
    flags [count] = NULL;
    return flags;
}

harness_proc_t *
harness_tls_system (harness_t *self, harness_proc_t **router_p, const char **more)
{
    harness_tls_cert (self, "gateway", "zchat gateway", false);
    *router_p = harness_router_start (self, NULL);
    assert_non_null (*router_p);
    harness_proc_t *gateway = harness_gateway_start (self, *router_p, "gw1",
                                                     harness_tls_flags (self, "gateway", more));
    assert_non_null (gateway);
    assert_true (harness_gateway_tls_port (gateway) > 0);
    return gateway;
}

//  Wait until fd is ready for what OpenSSL asked (error), or the deadline.
static bool
s_wait (int fd, int error, int64_t deadline)
{
    int left = (int) (deadline - harness_now ());
    if (left <= 0)
        return false;
    struct pollfd item = { fd, error == SSL_ERROR_WANT_WRITE? POLLOUT: POLLIN, 0 };
    return poll (&item, 1, left) > 0;
}

void *
harness_tls_open (harness_t *self, int fd)
{
    SSL_CTX *context = SSL_CTX_new (TLS_client_method ());
    assert_non_null (context);
    assert_int_equal (SSL_CTX_load_verify_locations (context, harness_tls_ca (self), NULL), 1);
    SSL_CTX_set_mode (context, SSL_MODE_ENABLE_PARTIAL_WRITE
                             | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL *ssl = SSL_new (context);
    SSL_CTX_free (context);         //  the connection keeps its reference
    assert_non_null (ssl);
    SSL_set_verify (ssl, SSL_VERIFY_PEER, NULL);
    SSL_set_tlsext_host_name (ssl, HARNESS_TLS_NAME);
    SSL_set1_host (ssl, HARNESS_TLS_NAME);
    SSL_set_fd (ssl, fd);
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (true) {
        ERR_clear_error ();
        int rc = SSL_connect (ssl);
        if (rc == 1)
            return ssl;
        int error = SSL_get_error (ssl, rc);
        if ((error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
        &&  s_wait (fd, error, deadline))
            continue;
        char text [HARNESS_PATH_MAX] = "timeout";
        if (ERR_peek_last_error ())
            ERR_error_string_n (ERR_peek_last_error (), text, sizeof text);
        fprintf (stderr, "harness: TLS handshake failed: %s (verify: %s)\n", text,
                 X509_verify_cert_error_string (SSL_get_verify_result (ssl)));
        ERR_clear_error ();
        SSL_free (ssl);
        return NULL;
    }
}

void
harness_tls_describe (void *tls, char *subject, char *serial)
{
    *subject = *serial = 0;
    X509 *certificate = SSL_get1_peer_certificate ((SSL *) tls);
    if (!certificate)
        return;
    X509_NAME_oneline (X509_get_subject_name (certificate), subject, HARNESS_PATH_MAX);
    BIGNUM *number = ASN1_INTEGER_to_BN (X509_get0_serialNumber (certificate), NULL);
    char *hex = BN_bn2hex (number);
    harness_format (serial, HARNESS_PATH_MAX, "%s", hex);
    OPENSSL_free (hex);
    BN_free (number);
    X509_free (certificate);
}

ssize_t
harness_tls_read (void *tls, void *buffer, size_t size, bool *notified)
{
    SSL *ssl = (SSL *) tls;
    ERR_clear_error ();
    int rc = SSL_read (ssl, buffer, (int) size);
    if (rc > 0)
        return rc;
    int error = SSL_get_error (ssl, rc);
    if (error == SSL_ERROR_ZERO_RETURN) {
        *notified = true;
        return 0;
    }
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    unsigned long code = ERR_peek_last_error ();
    ERR_clear_error ();
    //  A FIN without close_notify
    if ((error == SSL_ERROR_SYSCALL && errno == 0)
    ||  ERR_GET_REASON (code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return 0;
    if (error != SSL_ERROR_SYSCALL)
        errno = EPROTO;
    return -1;
}

ssize_t
harness_tls_write (void *tls, const void *data, size_t size)
{
    SSL *ssl = (SSL *) tls;
    ERR_clear_error ();
    int rc = SSL_write (ssl, data, (int) size);
    if (rc > 0)
        return rc;
    int error = SSL_get_error (ssl, rc);
    ERR_clear_error ();
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
        errno = EAGAIN;
    else
    if (error != SSL_ERROR_SYSCALL)
        errno = EPROTO;
    return -1;
}

void
harness_tls_close (void *tls, bool clean)
{
    SSL *ssl = (SSL *) tls;
    if (clean)
        SSL_shutdown (ssl);
    ERR_clear_error ();
    SSL_free (ssl);
}

/*  =========================================================================
    tls.c - the gateway's TLS server context: protocol policy, certificate

    Implements tls.h. The policy is Mozilla's "intermediate" profile
    without the DHE suites (they cost a big handshake and add nothing
    ECDHE does not): TLS 1.2 with ECDHE + AES-GCM or ChaCha20-Poly1305,
    and TLS 1.3 with OpenSSL's default suites, which are all AEAD.

    Memory is what an idle chat client costs, so the context sets
    SSL_MODE_RELEASE_BUFFERS: OpenSSL frees a connection's 16 KB read
    and write buffers once they are empty, and allocates them again for
    the next record. Session resumption uses tickets only (stateless:
    the key is in the context, the session in the client's ticket), so
    no server-side session cache grows with the number of clients.

    Partial writes and a moving write buffer match the client's output
    queue (outbuf.c): SSL_write may take part of the queue, and a retry
    after WANT_WRITE passes the same bytes from wherever the queue keeps
    them now, possibly with more appended.
    =========================================================================
*/
#include "tls.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>

#define TLS_ERROR_MAX       256     //  bytes of one OpenSSL error text
#define TLS_WHY_MAX         (TLS_ERROR_MAX + PATH_MAX)  //  bytes of a refusal's reason
#define TLS_NAME_MAX        256     //  bytes of a subject in the log
#define TLS_SERIAL_MAX      128     //  bytes of a hex serial
#define TLS_TICKETS         1       //  TLS 1.3 tickets per handshake (OpenSSL sends 2)
//  TLS 1.2: forward secrecy and AEAD only, ECDSA first (smaller, faster)
#define TLS_CIPHERS         "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_SESSION_ID      "zchat-gateway"     //  names our sessions in tickets
//  Key exchange: the elliptic curves every client has (no finite-field
//  groups, whose 2048-bit one is weaker and all of which are slow)
#define TLS_GROUPS          "X25519:P-256:P-384"

struct _tls_t {
    char *cert_file;            //  PEM certificate chain
    char *key_file;             //  PEM private key
    SSL_CTX *context;           //  what new connections are made from
    char subject [TLS_NAME_MAX];    //  of the loaded certificate
    char serial [TLS_SERIAL_MAX];   //  of the loaded certificate, hex
};

//  Why a file cannot be used, for the one log line of tls_new or
//  tls_reload: reason + OpenSSL's last error (the queue is emptied).
static void
s_why (char *why, const char *reason, const char *file, bool openssl)
{
    char error [TLS_ERROR_MAX] = "";
    unsigned long code = openssl? ERR_peek_last_error (): 0;
    if (code)
        ERR_error_string_n (code, error, sizeof (error));
    ERR_clear_error ();
    snprintf (why, TLS_WHY_MAX, "%s file=%s%s%s", reason, file, *error? " error=": "", error);
}

//  The certificate's validity against now: -1 (why filled) when expired
//  or not yet valid.
static int
s_check_dates (X509 *certificate, const char *file, char *why)
{
    if (X509_cmp_current_time (X509_get0_notAfter (certificate)) < 0) {
        s_why (why, "certificate expired", file, false);
        return -1;
    }
    if (X509_cmp_current_time (X509_get0_notBefore (certificate)) > 0) {
        s_why (why, "certificate not valid yet", file, false);
        return -1;
    }
    return 0;
}

//  Subject and serial of certificate into the strings of self.
static void
s_describe (tls_t *self, X509 *certificate)
{
    X509_NAME_oneline (X509_get_subject_name (certificate), self->subject,
                       sizeof (self->subject));
    self->serial [0] = 0;
    BIGNUM *number = ASN1_INTEGER_to_BN (X509_get0_serialNumber (certificate), NULL);
    char *hex = number? BN_bn2hex (number): NULL;
    if (hex)
        snprintf (self->serial, sizeof (self->serial), "%s", hex);
    OPENSSL_free (hex);
    BN_free (number);
}

//  A readable file, or -1 (why filled).
static int
s_check_readable (const char *what, const char *file, char *why)
{
    FILE *handle = fopen (file, "r");
    if (!handle) {
        char reason [TLS_ERROR_MAX];
        snprintf (reason, sizeof (reason), "cannot read the %s (%s)", what, strerror (errno));
        s_why (why, reason, file, false);
        return -1;
    }
    fclose (handle);
    return 0;
}

//  A fresh context with our policy and the files' certificate and key
//  (their subject and serial into self), or NULL with why filled.
static SSL_CTX *
s_context_new (tls_t *self, char *why)
{
    if (s_check_readable ("certificate", self->cert_file, why)
    ||  s_check_readable ("key", self->key_file, why))
        return NULL;
    SSL_CTX *context = SSL_CTX_new (TLS_server_method ());
    if (!context) {
        s_why (why, "cannot create a context", self->cert_file, true);
        return NULL;
    }
    SSL_CTX_set_min_proto_version (context, TLS1_2_VERSION);
    SSL_CTX_set_options (context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                                | SSL_OP_CIPHER_SERVER_PREFERENCE
                                //  A FIN without close_notify is an EOF, as on the
                                //  plain port: a chat line ends at its LF, so a
                                //  truncation cannot forge one
                                | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode (context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE
                             | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode (context, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets (context, TLS_TICKETS);
    SSL_CTX_set_session_id_context (context, (const unsigned char *) TLS_SESSION_ID,
                                    strlen (TLS_SESSION_ID));
    X509 *certificate = NULL;
    if (SSL_CTX_set_cipher_list (context, TLS_CIPHERS) != 1
    ||  SSL_CTX_set1_groups_list (context, TLS_GROUPS) != 1)
        s_why (why, "cipher or group list refused", self->cert_file, true);
    else
    if (SSL_CTX_use_certificate_chain_file (context, self->cert_file) != 1)
        s_why (why, "bad certificate", self->cert_file, true);
    else
    if (SSL_CTX_use_PrivateKey_file (context, self->key_file, SSL_FILETYPE_PEM) != 1)
        s_why (why, ERR_GET_REASON (ERR_peek_last_error ()) == X509_R_KEY_VALUES_MISMATCH?
                    "key does not match the certificate": "bad key", self->key_file, true);
    else
    if (SSL_CTX_check_private_key (context) != 1)
        s_why (why, "key does not match the certificate", self->key_file, false);
    else
    if ((certificate = SSL_CTX_get0_certificate (context)) != NULL
    &&  s_check_dates (certificate, self->cert_file, why) == 0) {
        s_describe (self, certificate);
        return context;
    }
    SSL_CTX_free (context);
    return NULL;
}

tls_t *
tls_new (const char *cert_file, const char *key_file)
{
    assert (cert_file);
    assert (key_file);
    tls_t *self = (tls_t *) zmalloc (sizeof (tls_t));
    if (!self)
        return NULL;
    self->cert_file = strdup (cert_file);
    self->key_file = strdup (key_file);
    char why [TLS_WHY_MAX] = "out of memory";
    if (self->cert_file && self->key_file)
        self->context = s_context_new (self, why);
    if (!self->context) {
        zsys_error ("tls: cannot use the certificate: %s", why);
        tls_destroy (&self);
        return NULL;
    }
    zsys_info ("tls: certificate loaded subject=%s serial=%s", self->subject, self->serial);
    return self;
}

void
tls_destroy (tls_t **self_p)
{
    assert (self_p);
    tls_t *self = *self_p;
    if (!self)
        return;
    SSL_CTX_free (self->context);
    free (self->cert_file);
    free (self->key_file);
    free (self);
    *self_p = NULL;
}

int
tls_reload (tls_t *self)
{
    assert (self);
    char why [TLS_WHY_MAX];
    SSL_CTX *context = s_context_new (self, why);
    if (!context) {
        zsys_error ("tls: reload refused, keeping serial=%s: %s", self->serial, why);
        return -1;
    }
    SSL_CTX_free (self->context);      //  open connections hold their own reference
    self->context = context;
    zsys_info ("tls: certificate reloaded subject=%s serial=%s", self->subject, self->serial);
    return 0;
}

SSL_CTX *
tls_context (tls_t *self)
{
    assert (self);
    return self->context;
}

const char *
tls_subject (tls_t *self)
{
    assert (self);
    return self->subject;
}

const char *
tls_serial (tls_t *self)
{
    assert (self);
    return self->serial;
}

/*  =========================================================================
    test_tls.c - the TLS context (tls.c) and the TLS transport (transport_tls.c)

    A self-signed certificate is made once by the openssl command in a
    temporary directory. The context must refuse a missing, garbled or
    mismatched pair and keep its old certificate when a reload fails. The
    transport runs over a non-blocking socketpair against an in-process
    OpenSSL client: a short read leaves the rest of the record pending
    (what client.c must read at the end of the pass), EAGAIN is no error,
    shutdown sends close_notify before the FIN, and a broken record marks
    the connection failed without a close_notify.
    =========================================================================
*/
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/err.h>
#include "tls.h"
#include "transport_tls.h"
#include "loop.h"

#define TEST_PATH_MAX       512
#define TEST_DIR_MAX        64      //  the temporary directory's path
#define TEST_COMMAND_MAX    2048
#define TEST_RECORD         1000    //  bytes the client sends in one record
#define TEST_SHORT_READ     100
#define TEST_HANDSHAKE_STEPS 100
#define TEST_ALERT_RECORD   24      //  one encrypted TLS 1.3 alert: header, alert,
                                    //  type byte, AEAD tag

static char s_dir [TEST_DIR_MAX];

static void
s_path (char *path, const char *name)
{
    snprintf (path, TEST_PATH_MAX, "%s/%s", s_dir, name);
}

static int
s_setup_files (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof (s_dir), "/tmp/zchat-test-tls-XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    char command [TEST_COMMAND_MAX];
    snprintf (command, sizeof (command),
        "cd %s && for name in good other; do openssl req -x509 -newkey ec "
        "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=$name "
        "-keyout $name.key -out $name.pem >/dev/null 2>&1 || exit 1; done && "
        "echo 'not a certificate' > garbage.pem", s_dir);
    assert_int_equal (system (command), 0);
    return 0;
}

static int
s_teardown_files (void **state)
{
    (void) state;
    char command [TEST_COMMAND_MAX];
    snprintf (command, sizeof (command), "rm -rf %s", s_dir);
    return system (command) == 0? 0: -1;
}

static tls_t *
s_tls (const char *cert, const char *key)
{
    char cert_path [TEST_PATH_MAX], key_path [TEST_PATH_MAX];
    s_path (cert_path, cert);
    s_path (key_path, key);
    return tls_new (cert_path, key_path);
}

static void
test_new_refuses (void **state)
{
    (void) state;
    assert_null (s_tls ("missing.pem", "good.key"));
    assert_null (s_tls ("good.pem", "missing.key"));
    assert_null (s_tls ("garbage.pem", "good.key"));
    assert_null (s_tls ("good.pem", "other.key"));
    tls_t *tls = s_tls ("good.pem", "good.key");
    assert_non_null (tls);
    assert_non_null (tls_context (tls));
    assert_string_equal (tls_subject (tls), "/CN=good");
    assert_true (strlen (tls_serial (tls)) > 0);
    tls_destroy (&tls);
    assert_null (tls);
    tls_destroy (&tls);
    assert_int_equal (ERR_peek_error (), 0);
}

//  A failed reload keeps the context; a good one replaces it.
static void
test_reload (void **state)
{
    (void) state;
    char cert_path [TEST_PATH_MAX], key_path [TEST_PATH_MAX], command [TEST_COMMAND_MAX];
    s_path (cert_path, "reload.pem");
    s_path (key_path, "reload.key");
    snprintf (command, sizeof (command), "cp %s/good.pem %s && cp %s/good.key %s",
              s_dir, cert_path, s_dir, key_path);
    assert_int_equal (system (command), 0);
    tls_t *tls = tls_new (cert_path, key_path);
    assert_non_null (tls);
    SSL_CTX *first = tls_context (tls);
    snprintf (command, sizeof (command), "cp %s/garbage.pem %s", s_dir, cert_path);
    assert_int_equal (system (command), 0);
    assert_int_equal (tls_reload (tls), -1);
    assert_ptr_equal (tls_context (tls), first);
    assert_string_equal (tls_subject (tls), "/CN=good");
    snprintf (command, sizeof (command), "cp %s/other.pem %s && cp %s/other.key %s",
              s_dir, cert_path, s_dir, key_path);
    assert_int_equal (system (command), 0);
    assert_int_equal (tls_reload (tls), 0);
    assert_ptr_not_equal (tls_context (tls), first);
    assert_string_equal (tls_subject (tls), "/CN=other");
    tls_destroy (&tls);
}

//  A server SSL (from tls) and a client SSL over a non-blocking
//  socketpair, both past the handshake.
typedef struct {
    tls_t *tls;
    SSL_CTX *client_context;
    SSL *server;
    SSL *client;
    int server_fd;
    int client_fd;
} s_pair_t;

static void
s_pair_open (s_pair_t *pair)
{
    pair->tls = s_tls ("good.pem", "good.key");
    assert_non_null (pair->tls);
    int fds [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    pair->server_fd = fds [0];
    pair->client_fd = fds [1];
    pair->server = SSL_new (tls_context (pair->tls));
    pair->client_context = SSL_CTX_new (TLS_client_method ());
    pair->client = SSL_new (pair->client_context);
    assert_non_null (pair->server);
    assert_non_null (pair->client);
    SSL_set_fd (pair->server, pair->server_fd);
    SSL_set_fd (pair->client, pair->client_fd);
    SSL_set_accept_state (pair->server);
    SSL_set_connect_state (pair->client);
    bool server_done = false, client_done = false;
    for (int step = 0; step < TEST_HANDSHAKE_STEPS && !(server_done && client_done); step++) {
        client_done = client_done || SSL_do_handshake (pair->client) == 1;
        server_done = server_done || SSL_do_handshake (pair->server) == 1;
    }
    assert_true (server_done && client_done);
    //  The client takes the session ticket TLS 1.3 sends after the handshake
    char ticket [TEST_RECORD];
    assert_int_equal (SSL_read (pair->client, ticket, sizeof (ticket)), -1);
    assert_int_equal (SSL_get_error (pair->client, -1), SSL_ERROR_WANT_READ);
    ERR_clear_error ();
}

static void
s_pair_close (s_pair_t *pair)
{
    SSL_free (pair->client);
    SSL_CTX_free (pair->client_context);
    close (pair->client_fd);
    close (pair->server_fd);
    tls_destroy (&pair->tls);
}

static void
test_transport (void **state)
{
    (void) state;
    s_pair_t pair;
    s_pair_open (&pair);
    void *transport = transport_tls_new (pair.server);
    assert_non_null (transport);
    const transport_ops_t *ops = &transport_tls;
    assert_string_equal (ops->name, "tls");
    assert_false (ops->flags & TRANSPORT_OFFER);

    //  Nothing yet: EAGAIN, not an error
    char buffer [TEST_RECORD];
    errno = 0;
    assert_int_equal (ops->read (transport, pair.server_fd, buffer, sizeof (buffer)), -1);
    assert_int_equal (errno, EAGAIN);
    assert_int_equal (ops->interest (transport, LOOP_READABLE), LOOP_READABLE);
    assert_int_equal (ops->events (transport, LOOP_WRITABLE), LOOP_WRITABLE);

    //  One record; a short read leaves the rest inside OpenSSL
    char record [TEST_RECORD];
    memset (record, 'x', sizeof (record));
    assert_int_equal (SSL_write (pair.client, record, sizeof (record)), TEST_RECORD);
    assert_int_equal (ops->read (transport, pair.server_fd, buffer, TEST_SHORT_READ),
                      TEST_SHORT_READ);
    assert_int_equal (ops->pending (transport), TEST_RECORD - TEST_SHORT_READ);
    assert_int_equal (ops->read (transport, pair.server_fd, buffer, sizeof (buffer)),
                      TEST_RECORD - TEST_SHORT_READ);
    assert_int_equal (ops->pending (transport), 0);

    //  Output, then close_notify and FIN
    assert_int_equal (ops->write (transport, pair.server_fd, "hello\r\n", 7), 7);
    assert_int_equal (ops->shutdown (transport, pair.server_fd, 0), 0);
    assert_int_equal (SSL_read (pair.client, buffer, sizeof (buffer)), 7);
    assert_memory_equal (buffer, "hello\r\n", 7);
    assert_int_equal (SSL_read (pair.client, buffer, sizeof (buffer)), 0);
    assert_int_equal (SSL_get_error (pair.client, 0), SSL_ERROR_ZERO_RETURN);
    assert_int_equal (read (pair.client_fd, buffer, sizeof (buffer)), 0);

    //  The peer's close_notify (and a bare FIN alike) is an EOF
    SSL_shutdown (pair.client);
    shutdown (pair.client_fd, SHUT_WR);
    assert_int_equal (ops->read (transport, pair.server_fd, buffer, sizeof (buffer)), 0);
    ops->destroy (transport);
    s_pair_close (&pair);
}

//  Bytes that are not a TLS record: the connection fails, and closing it
//  is a FIN only (no close_notify after a fatal error).
static void
test_transport_failed (void **state)
{
    (void) state;
    s_pair_t pair;
    s_pair_open (&pair);
    void *transport = transport_tls_new (pair.server);
    const transport_ops_t *ops = &transport_tls;
    const char garbage [] = "GET / HTTP/1.1\r\n\r\n";
    assert_int_equal (write (pair.client_fd, garbage, sizeof (garbage) - 1),
                      (ssize_t) sizeof (garbage) - 1);
    char buffer [TEST_RECORD];
    assert_int_equal (ops->read (transport, pair.server_fd, buffer, sizeof (buffer)), -1);
    assert_int_equal (errno, EPROTO);
    assert_int_equal (ops->pending (transport), 0);
    assert_int_equal (ops->write (transport, pair.server_fd, "x\r\n", 3), -1);
    assert_int_equal (ops->shutdown (transport, pair.server_fd, 0), 0);
    ssize_t size;
    size_t total = 0;
    while ((size = read (pair.client_fd, buffer, sizeof (buffer))) > 0)
        total += (size_t) size;
    assert_int_equal (size, 0);         //  the FIN
    //  OpenSSL's alert, and no close_notify after it
    assert_true (total <= TEST_ALERT_RECORD);
    ops->destroy (transport);
    ops->destroy (NULL);
    assert_int_equal (ERR_peek_error (), 0);
    s_pair_close (&pair);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_new_refuses),
        cmocka_unit_test (test_reload),
        cmocka_unit_test (test_transport),
        cmocka_unit_test (test_transport_failed),
    };
    return cmocka_run_group_tests (tests, s_setup_files, s_teardown_files);
}

/*  =========================================================================
    55_tls.c - the TLS port: chat beside plain clients, and what is not TLS

    A gateway with --tls-listen serves TLS clients beside plain ones, and
    they share rooms across gateways. `openssl s_client -verify_return_error`
    checks the certificate against a throw-away CA the test makes, and
    chats through it (its transcript is kept in the build directory). What
    is not a TLS client is refused and counted, never answered in plain
    text: a handshake that stalls (the deadline), plaintext, random bytes,
    a client that leaves mid-handshake, a connection over --max-clients.
    =========================================================================
*/
#define _GNU_SOURCE
#include "harness.h"
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TLS_LINE_SIZE       512
#define TLS_RANDOM_BYTES    600     //  garbage: more than a TLS record header
#define TLS_RANDOM_SEED     55
#define TLS_DEADLINE_MS     3000    //  --tls-handshake-timeout 1, and a margin
#define TLS_CLIENT_EXIT_MS  5000
#define TLS_TRANSCRIPT      "tls-s_client-transcript.txt"
#define TLS_HANDSHAKES      "zchat_gateway_tls_handshakes_total"
#define TLS_FAILED(reason)  "zchat_gateway_tls_handshake_failures_total{reason=\"" reason "\"}"
#define TLS_CONNECTED(transport) \
                            "zchat_gateway_clients_connected{transport=\"" transport "\"}"

static const char *s_metrics [] = { "--metrics-listen", "127.0.0.1:0", NULL };
static const char *s_short_deadline [] = {
    "--metrics-listen", "127.0.0.1:0", "--tls-handshake-timeout", "1", NULL
};

//  A router and a gateway "gw1" with a TLS port (more: extra flags).
static harness_proc_t *
s_tls_gateway (harness_t *harness, harness_proc_t **router_p, const char **more)
{
    harness_proc_t *gateway = harness_tls_system (harness, router_p, more);
    assert_int_not_equal (harness_gateway_tls_port (gateway), harness_gateway_port (gateway));
    return gateway;
}

//  A TLS client on gw1 and plain clients on gw1 and gw2 chat in one room;
//  the connected gauge counts each transport.
static void
test_tls_and_plain (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    harness_proc_t *tls_gateway = s_tls_gateway (harness, &router, s_metrics);
    harness_proc_t *plain_gateway = harness_gateway_start (harness, router, "gw2", NULL);
    assert_non_null (plain_gateway);
    harness_client_t *alice = harness_login_tls (harness, tls_gateway);
    harness_client_t *bob = harness_login (harness, plain_gateway);
    harness_client_t *carol = harness_login (harness, tls_gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (carol);
    assert_string_equal (harness_client_tls_subject (alice), "/CN=zchat gateway");
    assert_true (harness_join (alice, "secure"));
    assert_true (harness_join (bob, "secure"));
    assert_true (harness_join (carol, "secure"));

    char line [TLS_LINE_SIZE];
    assert_int_equal (harness_send (alice, "hello from TLS ünïcode"), 0);
    snprintf (line, sizeof line, "[secure] %s: hello from TLS ünïcode", harness_client_nick (alice));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, line, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (bob, "hello from plain"), 0);
    snprintf (line, sizeof line, "[secure] %s: hello from plain", harness_client_nick (bob));
    assert_non_null (harness_expect (alice, line, HARNESS_TIMEOUT_MS));
    assert_true (harness_marker (bob, "secure", &alice, 1));
    assert_int_equal (harness_bad_endings (alice), 0);

    //  No telnet offer on TLS: the first byte alice got is the welcome's
    size_t size;
    const char *raw = harness_client_raw (alice, &size);
    assert_true (size > 0);
    assert_int_equal (raw [0], '*');

    assert_int_equal (harness_wait_metric (tls_gateway, TLS_CONNECTED ("tls"), 1,
                                           HARNESS_TIMEOUT_MS), 1);
    assert_int_equal (harness_wait_metric (tls_gateway, TLS_CONNECTED ("tcp"), 1,
                                           HARNESS_TIMEOUT_MS), 1);
    assert_int_equal (harness_wait_metric (tls_gateway, TLS_HANDSHAKES, 1,
                                           HARNESS_TIMEOUT_MS), 1);
}

//  Start `openssl s_client` on the gateway's TLS port, its stdin and
//  stdout one end of a socketpair, the other end adopted as a client;
//  ca (may be NULL: the system's CAs) verifies the certificate.
static harness_client_t *
s_client_start (harness_t *harness, harness_proc_t *gateway, const char *ca, pid_t *pid_p)
{
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    char connect [TLS_LINE_SIZE];
    snprintf (connect, sizeof connect, "127.0.0.1:%d", harness_gateway_tls_port (gateway));
    char log [TLS_LINE_SIZE];
    snprintf (log, sizeof log, "%s/s_client.log", harness_dir (harness));
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        dup2 (pair [1], STDIN_FILENO);
        dup2 (pair [1], STDOUT_FILENO);
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0)
            dup2 (fd, STDERR_FILENO);
        if (ca)
            execlp ("openssl", "openssl", "s_client", "-quiet", "-verify_return_error",
                    "-CAfile", ca, "-servername", "localhost", "-verify_hostname", "localhost",
                    "-connect", connect, (char *) NULL);
        else
            execlp ("openssl", "openssl", "s_client", "-quiet", "-verify_return_error",
                    "-servername", "localhost", "-connect", connect, (char *) NULL);
        _exit (127);
    }
    close (pair [1]);
    *pid_p = pid;
    return harness_client_adopt (harness, pair [0]);
}

//  Wait for a child within TLS_CLIENT_EXIT_MS (SIGKILL after); its exit code.
static int
s_child_exit (pid_t pid)
{
    int64_t deadline = harness_now () + TLS_CLIENT_EXIT_MS;
    int status = 0;
    while (waitpid (pid, &status, WNOHANG) == 0) {
        if (harness_now () > deadline) {
            kill (pid, SIGKILL);
            waitpid (pid, &status, 0);
            return -1;
        }
        usleep (10000);
    }
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

//  The transcript of test_s_client: what each side typed (>) and got (<),
//  in the order the test saw it.
typedef struct {
    FILE *file;                 //  or NULL
    harness_client_t *clients [2];
    const char *names [2];
    size_t seen [2];            //  lines of each already written
} s_transcript_t;

//  Write the lines each client got since the last call.
static void
s_transcript_catch_up (s_transcript_t *self)
{
    for (int side = 0; side < 2; side++)
        while (self->file && harness_line_at (self->clients [side], self->seen [side]))
            fprintf (self->file, "%-8s < %s\n", self->names [side],
                     harness_line_at (self->clients [side], self->seen [side]++));
}

//  Client side (0 or 1) types text, then expect (may be NULL) reaches
//  client other.
static void
s_say (s_transcript_t *self, int side, const char *text, int other, const char *expect)
{
    s_transcript_catch_up (self);
    if (self->file)
        fprintf (self->file, "%-8s > %s\n", self->names [side], text);
    assert_int_equal (harness_send (self->clients [side], "%s", text), 0);
    if (expect)
        assert_non_null (harness_expect_sub (self->clients [other], expect, HARNESS_TIMEOUT_MS));
    s_transcript_catch_up (self);
}

//  openssl s_client verifies the gateway's certificate against the CA
//  and chats through it; without the CA it refuses to connect.
static void
test_s_client (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    harness_proc_t *gateway = s_tls_gateway (harness, &router, NULL);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (bob);
    pid_t pid;
    harness_client_t *tls = harness_welcome (s_client_start (harness, gateway,
                                                             harness_tls_ca (harness), &pid));
    assert_non_null (tls);
    const char *build = getenv ("ZCHAT_BUILD_DIR");
    char path [TLS_LINE_SIZE];
    snprintf (path, sizeof path, "%s/" TLS_TRANSCRIPT, build? build: ".");
    s_transcript_t transcript = { fopen (path, "w"), { tls, bob }, { "s_client", "plain" },
                                  { 0, 0 } };
    if (transcript.file)
        fprintf (transcript.file, "# openssl s_client -quiet -verify_return_error -CAfile "
                 "ca.pem -connect 127.0.0.1:%d, the CA made by the test; plain is a TCP "
                 "client on the same gateway\n", harness_gateway_tls_port (gateway));
    s_say (&transcript, 0, "/nick secure_sam", 0, "is now known as secure_sam");
    s_say (&transcript, 1, "/nick bob", 0, "is now known as bob");
    s_say (&transcript, 0, "hi bob, this line went through openssl s_client", 1,
           "[general] secure_sam: hi bob, this line went through openssl s_client");
    s_say (&transcript, 1, "hi sam, plain here", 0, "[general] bob: hi sam, plain here");
    s_say (&transcript, 0, "/who", 0, "* #general (2): bob, secure_sam");
    s_say (&transcript, 0, "/quit", 1, "secure_sam left #general");
    assert_int_equal (harness_read_to_end (tls, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    s_transcript_catch_up (&transcript);
    if (transcript.file)
        fclose (transcript.file);
    assert_int_equal (s_child_exit (pid), 0);

    //  The system's CAs do not know the test's CA: s_client gives up
    harness_client_t *refused = s_client_start (harness, gateway, NULL, &pid);
    assert_int_equal (harness_read_to_end (refused, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_int_not_equal (s_child_exit (pid), 0);
    assert_int_equal (harness_line_count (refused), 0);
}

//  A connection to the TLS port that ends with the gateway's close:
//  nothing received (no plain-text notice), orderly or reset.
static void
s_expect_refused (harness_client_t *client)
{
    harness_end_t end = harness_read_to_end (client, TLS_DEADLINE_MS);
    assert_int_not_equal (end, HARNESS_OPEN);
    size_t size;
    const char *raw = harness_client_raw (client, &size);
    //  At most OpenSSL's alert record (type 21), never text
    assert_true (size == 0 || raw [0] == 21);
    assert_int_equal (harness_line_count (client), 0);
}

//  A client that opens TLS and stalls is closed at the handshake
//  deadline: one that sent nothing, and one that sent half a record.
static void
test_handshake_deadline (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    harness_proc_t *gateway = s_tls_gateway (harness, &router, s_short_deadline);
    harness_client_t *silent = harness_connect_port (harness, harness_gateway_tls_port (gateway));
    harness_client_t *half = harness_connect_port (harness, harness_gateway_tls_port (gateway));
    assert_non_null (silent);
    assert_non_null (half);
    //  A handshake record header announcing 512 bytes, then nothing
    assert_int_equal (harness_send_raw (half, "\x16\x03\x01\x02\x00\x01", 6), 0);
    s_expect_refused (silent);
    s_expect_refused (half);
    assert_int_equal (harness_wait_metric (gateway, TLS_FAILED ("timeout"), 2,
                                           HARNESS_TIMEOUT_MS), 2);
    assert_true (harness_proc_wait_log (gateway, "tls: handshake failed reason=timeout",
                                        HARNESS_TIMEOUT_MS));
    //  A real client still gets in
    assert_non_null (harness_login_tls (harness, gateway));
}

//  Plaintext, an HTTP request and random bytes on the TLS port: closed
//  without a word of plain text, counted as protocol failures.
static void
test_not_tls (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    harness_proc_t *gateway = s_tls_gateway (harness, &router, s_metrics);
    int port = harness_gateway_tls_port (gateway);
    harness_client_t *plain = harness_connect_port (harness, port);
    harness_client_t *http = harness_connect_port (harness, port);
    harness_client_t *garbage = harness_connect_port (harness, port);
    assert_non_null (plain);
    assert_non_null (http);
    assert_non_null (garbage);
    assert_int_equal (harness_send (plain, "/nick plaintext_pete"), 0);
    assert_int_equal (harness_send (http, "GET / HTTP/1.1\r\nHost: localhost\r\n"), 0);
    unsigned char random [TLS_RANDOM_BYTES];
    srand (TLS_RANDOM_SEED);
    for (size_t index = 0; index < sizeof random; index++)
        random [index] = (unsigned char) rand ();
    random [0] = 0x16;                  //  a handshake record...
    random [5] = 0x01;                  //  ...with a ClientHello of garbage
    assert_int_equal (harness_send_raw (garbage, random, sizeof random), 0);
    s_expect_refused (plain);
    s_expect_refused (http);
    s_expect_refused (garbage);
    int64_t failed = harness_wait_metric (gateway, TLS_FAILED ("protocol"), 3,
                                          HARNESS_TIMEOUT_MS);
    assert_int_equal (failed, 3);
    assert_int_equal (harness_scrape_metric (gateway, TLS_HANDSHAKES), 0);
    assert_int_equal (harness_scrape_metric (gateway, TLS_CONNECTED ("tls")), 0);
    assert_non_null (harness_login_tls (harness, gateway));
}

//  A client that leaves mid-handshake (FIN, or reset) is counted as eof;
//  handshakes count against --max-clients on both ports; a TLS connection
//  over it is closed without the plain port's "! server full".
static void
test_closed_and_full (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = { "--metrics-listen", "127.0.0.1:0", "--max-clients", "2", NULL };
    harness_proc_t *gateway = s_tls_gateway (harness, &router, flags);
    int port = harness_gateway_tls_port (gateway);
    harness_client_t *leaver = harness_connect_port (harness, port);
    harness_client_t *resetter = harness_connect_port (harness, port);
    assert_non_null (leaver);
    assert_non_null (resetter);
    assert_int_equal (harness_send_raw (leaver, "\x16\x03\x01\x02\x00\x01", 6), 0);
    assert_int_equal (harness_send_raw (resetter, "\x16\x03\x01\x02\x00\x01", 6), 0);
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_tls_handshakes_in_progress",
                                           2, HARNESS_TIMEOUT_MS), 2);
    //  Handshakes count against --max-clients on the plain port too
    harness_client_t *early_plain = harness_connect (harness, gateway);
    assert_non_null (early_plain);
    assert_non_null (harness_expect (early_plain, "! server full, try again later",
                                     HARNESS_TIMEOUT_MS));
    harness_client_close (leaver);
    harness_client_reset (resetter);
    assert_int_equal (harness_wait_metric (gateway, TLS_FAILED ("eof"), 2,
                                           HARNESS_TIMEOUT_MS), 2);
    assert_int_equal (harness_wait_metric (gateway, "zchat_gateway_tls_handshakes_in_progress",
                                           0, HARNESS_TIMEOUT_MS), 0);

    harness_client_t *first = harness_login_tls (harness, gateway);
    harness_client_t *second = harness_login (harness, gateway);
    assert_non_null (first);
    assert_non_null (second);
    harness_client_t *over = harness_connect_port (harness, port);
    assert_non_null (over);
    s_expect_refused (over);
    harness_client_t *over_plain = harness_connect (harness, gateway);
    assert_non_null (harness_expect (over_plain, "! server full, try again later",
                                     HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_wait_metric (gateway,
                                           "zchat_gateway_connections_refused_total{reason=\"full\"}",
                                           3, HARNESS_TIMEOUT_MS), 3);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_tls_and_plain, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_s_client, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_handshake_deadline, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_not_tls, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_closed_and_full, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    57_tls_limits.c - every client limit holds on the TLS port

    Input OpenSSL has decrypted but the gateway has not read yet is not
    visible to epoll. A TLS client whose input was paused with bytes
    left there (its login in flight, flood control reading only what the
    hold queue has room for) must get them read when it resumes, or it
    never wakes again (libevent #854): every line it sent arrives. And as
    on the plain port: the line cap, the output cap with its lag notice,
    the idle timeout, and the drain, which ends a TLS client with a
    close_notify before the FIN.
    =========================================================================
*/
#define _GNU_SOURCE
#include "harness.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LIMITS_LINE_SIZE    512
#define LIMITS_BURST        60      //  lines of the paused client, in one TLS record
#define LIMITS_HOLD_MAX     "102"   //  --max-line 100 + CRLF: the least allowed
#define LIMITS_HOLD_BYTES   102
#define LIMITS_FLOOD        4000    //  lines that overflow a stopped reader's
                                    //  buffers (--outbuf-max 64 KB + 32 KB kernel)
#define LIMITS_FLOOD_CHUNK  100     //  lines sent before the witness reads them
#define LIMITS_FLOOD_PAD    80      //  bytes of padding per flood line
#define LIMITS_RCVBUF       16384   //  the stopped reader's receive buffer
#define LIMITS_POLL_MS      100
#define LIMITS_LAG_WAIT_MS  30000
#define LIMITS_LAGGED       "! lagged: "
#define LIMITS_BYTES_IN     "zchat_gateway_received_bytes_total"


//  The TLS client sends a burst in one TLS record while its login is in
//  flight (the router is stopped): flood control reads only what fits
//  the hold queue (--hold-max), so the rest stays decrypted inside
//  OpenSSL. When the login is answered, the whole burst must arrive.
static void
test_pending_after_pause (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = {
        "--metrics-listen", "127.0.0.1:0", "--max-line", "100", "--hold-max", LIMITS_HOLD_MAX,
        "--rate-lines", "1000", "--rate-burst", "1000", NULL
    };
    harness_proc_t *gateway = harness_tls_system (harness, &router, flags);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (bob);
    int64_t before = harness_wait_metric (gateway, "zchat_gateway_clients_connected"
                                          "{transport=\"tcp\"}", 1, HARNESS_TIMEOUT_MS);
    assert_int_equal (before, 1);
    int64_t bytes_before = harness_scrape_metric (gateway, LIMITS_BYTES_IN);

    harness_proc_signal (router, SIGSTOP);
    harness_client_t *alice = harness_connect_tls (harness, gateway);
    assert_non_null (alice);
    char burst [LIMITS_BURST * 16];
    size_t size = 0;
    for (int index = 0; index < LIMITS_BURST; index++)
        size += (size_t) snprintf (burst + size, sizeof burst - size, "pending %03d\r\n", index);
    assert_int_equal (harness_send_raw (alice, burst, size), 0);   //  one SSL_write
    //  The gateway read what its hold queue takes, and no more
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    int64_t bytes = 0;
    while (harness_now () < deadline
       &&  (bytes = harness_scrape_metric (gateway, LIMITS_BYTES_IN)) < bytes_before
                                                                      + LIMITS_HOLD_BYTES)
        harness_read_some (alice, LIMITS_POLL_MS);
    assert_int_equal (bytes, bytes_before + LIMITS_HOLD_BYTES);
    harness_proc_signal (router, SIGCONT);

    assert_non_null (harness_welcome (alice));
    for (int index = 0; index < LIMITS_BURST; index++) {
        char line [LIMITS_LINE_SIZE];
        snprintf (line, sizeof line, "[general] %s: pending %03d", harness_client_nick (alice),
                  index);
        assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    }
}

static void
test_line_cap (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = { "--max-line", "100", NULL };
    harness_proc_t *gateway = harness_tls_system (harness, &router, flags);
    harness_client_t *alice = harness_login_tls (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    char line [LIMITS_LINE_SIZE];
    memset (line, 'x', 101);
    line [101] = 0;
    assert_int_equal (harness_send (alice, "%s", line), 0);
    assert_non_null (harness_expect (alice, "! line too long (max 100 bytes), discarded",
                                     HARNESS_TIMEOUT_MS));
    line [100] = 0;
    assert_int_equal (harness_send (alice, "%s", line), 0);
    char expected [LIMITS_LINE_SIZE * 2];
    snprintf (expected, sizeof expected, "[general] %s: %s", harness_client_nick (alice), line);
    assert_non_null (harness_expect (bob, expected, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_count (bob, "xxxxxxxxxxx"), 1);
}

//  Lines of the flood that reached client, and those it was told it
//  missed (the lag notices).
static void
s_tally (harness_client_t *client, const char *sender, long *delivered, long *skipped)
{
    char prefix [LIMITS_LINE_SIZE];
    snprintf (prefix, sizeof prefix, "[general] %s: flood ", sender);
    *delivered = *skipped = 0;
    for (size_t index = 0; harness_line_at (client, index); index++) {
        const char *line = harness_line_at (client, index);
        if (strncmp (line, prefix, strlen (prefix)) == 0)
            (*delivered)++;
        else
        if (strncmp (line, LIMITS_LAGGED, strlen (LIMITS_LAGGED)) == 0)
            *skipped += atol (line + strlen (LIMITS_LAGGED));
    }
}

//  A TLS client that stops reading while the room floods: what does not
//  fit --outbuf-max is skipped and counted, and when it reads again it
//  gets "! lagged: N messages skipped"; delivered plus skipped is the flood.
static void
test_lagged (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = { "--outbuf-max", "65536", "--stuck-timeout", "60",
                             "--rate-lines", "0", NULL };
    harness_proc_t *gateway = harness_tls_system (harness, &router, flags);
    harness_client_t *late = harness_login_tls (harness, gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *witness = harness_login (harness, gateway);
    assert_non_null (late);
    assert_non_null (alice);
    assert_non_null (witness);
    int rcvbuf = LIMITS_RCVBUF;
    setsockopt (harness_client_fd (late), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

    char pad [LIMITS_FLOOD_PAD + 1];
    memset (pad, 'f', LIMITS_FLOOD_PAD);
    pad [LIMITS_FLOOD_PAD] = 0;
    char expected [LIMITS_LINE_SIZE * 2];
    for (int index = 0; index < LIMITS_FLOOD; index++) {
        assert_int_equal (harness_send (alice, "flood %04d %s", index, pad), 0);
        if ((index + 1) % LIMITS_FLOOD_CHUNK == 0) {
            snprintf (expected, sizeof expected, "[general] %s: flood %04d %s",
                      harness_client_nick (alice), index, pad);
            assert_non_null (harness_expect (witness, expected, HARNESS_TIMEOUT_MS));
            harness_clear (witness);
        }
    }
    long delivered = 0, skipped = 0;
    int64_t deadline = harness_now () + LIMITS_LAG_WAIT_MS;
    while (delivered + skipped < LIMITS_FLOOD && harness_now () < deadline) {
        if (harness_read_some (late, LIMITS_POLL_MS) < 0)
            break;
        s_tally (late, harness_client_nick (alice), &delivered, &skipped);
    }
    fprintf (stderr, "tls lagged: delivered %ld, skipped %ld of %d\n", delivered, skipped,
             LIMITS_FLOOD);
    assert_true (skipped > 0);
    assert_int_equal (delivered + skipped, LIMITS_FLOOD);
    assert_true (harness_marker (alice, "general", &late, 1));
}

//  An idle TLS client is warned, told, and closed: close_notify, then FIN.
static void
test_idle (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    const char *flags [] = { "--idle-timeout", "1", "--idle-warning", "0", NULL };
    harness_proc_t *gateway = harness_tls_system (harness, &router, flags);
    harness_client_t *idler = harness_login_tls (harness, gateway);
    assert_non_null (idler);
    assert_int_equal (harness_read_to_end (idler, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_int_equal (harness_received_exact (idler, "! idle for 1 seconds, disconnecting"), 1);
    assert_true (harness_client_tls_notified (idler));
}

//  The router's drain: TLS clients get the notice and a clean close.
static void
test_drain (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *router;
    harness_proc_t *gateway = harness_tls_system (harness, &router, NULL);
    harness_client_t *alice = harness_login_tls (harness, gateway);
    harness_client_t *bob = harness_login_tls (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    int exit_code = -1;
    char *reply = harness_ctl (harness, router, "shutdown", &exit_code);
    free (reply);
    assert_int_equal (exit_code, 0);
    assert_int_equal (harness_read_to_end (alice, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_int_equal (harness_read_to_end (bob, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    assert_int_equal (harness_received_exact (alice, "* Server shutting down..."), 1);
    assert_true (harness_client_tls_notified (alice));
    assert_true (harness_client_tls_notified (bob));
    assert_true (harness_proc_wait (gateway, HARNESS_TIMEOUT_MS) != -1);
    assert_true (harness_proc_clean (gateway));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_pending_after_pause, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_line_cap, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_lagged, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_idle, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_drain, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

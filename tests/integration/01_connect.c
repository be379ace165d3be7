/*  =========================================================================
    01_connect.c - a client connects, is welcomed and lands in #general

    Starts a router and two gateways, connects plain TCP clients and checks
    the exact welcome lines, that every guest nickname is unique across
    gateways, that existing members hear the join, and that input typed
    before the welcome is held, not lost, and that the gateway logs one
    line per connect and one per close, with the address unless told not
    to.
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define CONNECT_GATEWAYS    2
#define CONNECT_CLIENTS     6       //  spread over both gateways
#define CONNECT_LOG_SIZE    256

//  True if nick is "guest-" followed by digits only.
static bool
s_is_guest_nick (const char *nick)
{
    const char *prefix = "guest-";
    if (strncmp (nick, prefix, strlen (prefix)) != 0)
        return false;
    const char *digits = nick + strlen (prefix);
    if (!*digits)
        return false;
    for (; *digits; digits++)
        if (!isdigit ((unsigned char) *digits))
            return false;
    return true;
}

//  Welcome lines are exact (harness_login checks them), end in CRLF, and
//  the guest nickname has the documented form.
static void
test_welcome (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *alice = harness_login (harness, gateways [0]);
    assert_non_null (alice);
    assert_true (s_is_guest_nick (harness_client_nick (alice)));
    assert_int_equal (harness_bad_endings (alice), 0);
    //  Exactly the three lines, nothing else so far
    assert_int_equal (harness_line_count (alice), 3);
}

//  Several clients on both gateways all get different nicknames; each
//  member already in #general hears every later join, across gateways.
static void
test_unique_nicks (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *clients [CONNECT_CLIENTS];
    for (size_t index = 0; index < CONNECT_CLIENTS; index++) {
        clients [index] = harness_login (harness, gateways [index % CONNECT_GATEWAYS]);
        assert_non_null (clients [index]);
        assert_true (s_is_guest_nick (harness_client_nick (clients [index])));
        for (size_t other = 0; other < index; other++)
            assert_string_not_equal (harness_client_nick (clients [index]),
                                     harness_client_nick (clients [other]));
    }
    //  The first client heard every later one join
    for (size_t index = 1; index < CONNECT_CLIENTS; index++) {
        char line [128];
        snprintf (line, sizeof line, "* %s joined #general",
                  harness_client_nick (clients [index]));
        assert_non_null (harness_expect (clients [0], line, HARNESS_TIMEOUT_MS));
    }
}

//  A line sent right after connecting, before the welcome, is held until
//  the session exists and then delivered.
static void
test_input_before_welcome (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    assert_non_null (harness_start_system (harness, NULL, gateways, CONNECT_GATEWAYS, NULL));

    harness_client_t *listener = harness_login (harness, gateways [1]);
    assert_non_null (listener);
    harness_client_t *early = harness_connect (harness, gateways [0]);
    assert_non_null (early);
    assert_int_equal (harness_send (early, "typed-before-welcome"), 0);
    const char *line = harness_expect_sub (listener, ": typed-before-welcome",
                                           HARNESS_TIMEOUT_MS);
    assert_non_null (line);
    assert_non_null (harness_expect_sub (early, "* Welcome to zchat, ", HARNESS_TIMEOUT_MS));
    //  "[general] guest-N: typed-before-welcome"
    assert_true (strncmp (line, "[general] guest-", strlen ("[general] guest-")) == 0);
}

//  Status reports the sessions of both gateways.
static void
test_status_counts (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CONNECT_GATEWAYS];
    harness_proc_t *router = harness_start_system (harness, NULL, gateways,
                                                   CONNECT_GATEWAYS, NULL);
    assert_non_null (router);
    assert_true (harness_wait_status (harness, router, "gateways", CONNECT_GATEWAYS,
                                      HARNESS_TIMEOUT_MS));
    assert_non_null (harness_login (harness, gateways [0]));
    assert_non_null (harness_login (harness, gateways [1]));
    assert_non_null (harness_login (harness, gateways [1]));
    assert_true (harness_wait_status (harness, router, "sessions", 3, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "rooms", 1, HARNESS_TIMEOUT_MS));
    char *body = harness_ctl (harness, router, "status", NULL);
    assert_non_null (body);
    char *value = harness_body_value (body, "state");
    assert_non_null (value);
    assert_string_equal (value, "running");
    free (value);
    assert_non_null (strstr (body, "room name=general members=3 seq="));
    assert_non_null (strstr (body, "name=gw1 sessions=1"));
    assert_non_null (strstr (body, "name=gw2 sessions=2"));
    free (body);
}

//  The client's own port: the gateway logs it as the peer's.
static int
s_local_port (harness_client_t *client)
{
    struct sockaddr_in local;
    socklen_t size = sizeof (local);
    assert_int_equal (getsockname (harness_client_fd (client), (struct sockaddr *) &local,
                                   &size), 0);
    return ntohs (local.sin_port);
}

//  Wait for exactly one log line containing the formatted text.
static void __attribute__ ((format (printf, 2, 3)))
s_expect_log_once (harness_proc_t *proc, const char *format, ...)
{
    char text [CONNECT_LOG_SIZE];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    assert_true (harness_proc_wait_log (proc, text, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_proc_log_count (proc, text), 1);
}

//  Each connect and each close is one info line with the client id, its
//  address, and for a close the reason and the bytes each way.
static void
test_connect_close_logged (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [1];
    assert_non_null (harness_start_system (harness, NULL, gateways, 1, NULL));
    harness_proc_t *gateway = gateways [0];
    harness_client_t *quitter = harness_login (harness, gateway);
    assert_non_null (quitter);
    int port = s_local_port (quitter);
    s_expect_log_once (gateway, "client: connected id=1 addr=127.0.0.1:%d\n", port);
    assert_int_equal (harness_send (quitter, "/quit"), 0);
    assert_int_equal (harness_read_to_end (quitter, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    //  "/quit" and CRLF: 7 bytes in
    s_expect_log_once (gateway, "client: closed id=1 addr=127.0.0.1:%d reason=quit bytes_in=7 "
                       "bytes_out=", port);

    harness_client_t *leaver = harness_login (harness, gateway);
    assert_non_null (leaver);
    port = s_local_port (leaver);
    s_expect_log_once (gateway, "client: connected id=2 addr=127.0.0.1:%d\n", port);
    harness_client_close (leaver);
    s_expect_log_once (gateway, "client: closed id=2 addr=127.0.0.1:%d reason=eof bytes_in=0 ",
                       port);
    harness_client_t *crasher = harness_login (harness, gateway);
    assert_non_null (crasher);
    port = s_local_port (crasher);
    assert_int_equal (harness_send (crasher, "hello"), 0);
    harness_client_reset (crasher);
    s_expect_log_once (gateway, "client: closed id=3 addr=127.0.0.1:%d reason=", port);
    //  One line each, nothing per message
    assert_int_equal (harness_proc_log_count (gateway, "client: "), 6);
}

//  --log-addresses=no: the same lines without the address.
static void
test_addresses_not_logged (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [1];
    const char *extra [] = { "--log-addresses=no", NULL };
    assert_non_null (harness_start_system (harness, NULL, gateways, 1, extra));
    harness_client_t *client = harness_login (harness, gateways [0]);
    assert_non_null (client);
    s_expect_log_once (gateways [0], "client: connected id=1\n");
    assert_int_equal (harness_send (client, "/quit"), 0);
    assert_int_equal (harness_read_to_end (client, HARNESS_TIMEOUT_MS), HARNESS_EOF);
    s_expect_log_once (gateways [0], "client: closed id=1 reason=quit bytes_in=7 bytes_out=");
    assert_int_equal (harness_proc_log_count (gateways [0], "addr="), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_welcome, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_unique_nicks, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_input_before_welcome, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_status_counts, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_connect_close_logged, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_addresses_not_logged, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

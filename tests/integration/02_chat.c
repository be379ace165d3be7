/*  =========================================================================
    02_chat.c - chat lines between clients, on one gateway and across two

    A chat line reaches every other member of the room, on every gateway,
    as "[room] nick: text" with CRLF, in the order it was sent; the sender
    never gets its own line back (absence is proven with a later marker).
    =========================================================================
*/
#include "harness.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAT_GATEWAYS       2
#define CHAT_ORDERED_LINES  200     //  lines whose order is checked
#define CHAT_LINE_SIZE      256

//  test_order's burst is a throughput load: flood control fast enough
//  to take it in well under a second, but still on, so the order is kept
//  across throttling too
static const char *s_fast_flags [] = { "--rate-lines", "1000", "--rate-burst", "50", NULL };

static harness_proc_t *
s_system_with (harness_t *harness, harness_proc_t **gateways, const char **flags)
{
    harness_proc_t *router = harness_start_system (harness, NULL, gateways,
                                                   CHAT_GATEWAYS, flags);
    assert_non_null (router);
    return router;
}

static harness_proc_t *
s_system (harness_t *harness, harness_proc_t **gateways)
{
    return s_system_with (harness, gateways, NULL);
}

//  Two clients on one gateway: B gets A's line, A does not get it back.
static void
test_same_gateway (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CHAT_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [0]);
    assert_non_null (alice);
    assert_non_null (bob);

    char line [CHAT_LINE_SIZE];
    assert_int_equal (harness_send (alice, "hello from alice"), 0);
    snprintf (line, sizeof line, "[general] %s: hello from alice", harness_client_nick (alice));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));

    //  Bob's marker reaches alice after anything sent before it
    assert_true (harness_marker (bob, "general", &alice, 1));
    assert_int_equal (harness_received_count (alice, "hello from alice"), 0);
    assert_int_equal (harness_received_count (bob, "marker-"), 0);
    assert_int_equal (harness_bad_endings (alice), 0);
    assert_int_equal (harness_bad_endings (bob), 0);
}

//  Clients on different gateways chat both ways; several receivers on the
//  far gateway each get the line once.
static void
test_across_gateways (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CHAT_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    harness_client_t *carol = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (carol);

    char line [CHAT_LINE_SIZE];
    assert_int_equal (harness_send (alice, "over the wire"), 0);
    snprintf (line, sizeof line, "[general] %s: over the wire", harness_client_nick (alice));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, line, HARNESS_TIMEOUT_MS));

    assert_int_equal (harness_send (bob, "and back"), 0);
    snprintf (line, sizeof line, "[general] %s: and back", harness_client_nick (bob));
    assert_non_null (harness_expect (alice, line, HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (carol, line, HARNESS_TIMEOUT_MS));

    harness_client_t *receivers [] = { alice, bob };
    assert_true (harness_marker (carol, "general", receivers, 2));
    //  Each line arrived exactly once, never to its own sender
    assert_int_equal (harness_received_count (bob, "over the wire"), 1);
    assert_int_equal (harness_received_count (carol, "over the wire"), 1);
    assert_int_equal (harness_received_count (alice, "over the wire"), 0);
    assert_int_equal (harness_received_count (bob, "and back"), 0);
    assert_int_equal (harness_received_count (alice, "and back"), 1);
}

//  "//text" is the escape for a chat line starting with '/'.
static void
test_slash_escape (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CHAT_GATEWAYS];
    s_system (harness, gateways);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);

    assert_int_equal (harness_send (alice, "//join is a command"), 0);
    char line [CHAT_LINE_SIZE];
    snprintf (line, sizeof line, "[general] %s: /join is a command",
              harness_client_nick (alice));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_received_prefix (alice, "!"), 0);
}

//  Lines from one sender arrive in the order sent, across gateways.
static void
test_order (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [CHAT_GATEWAYS];
    s_system_with (harness, gateways, s_fast_flags);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    harness_clear (bob);

    //  One write carrying every line
    size_t cap = CHAT_ORDERED_LINES * 32, size = 0;
    char *burst = malloc (cap);
    assert_non_null (burst);
    for (int index = 0; index < CHAT_ORDERED_LINES; index++)
        size += (size_t) snprintf (burst + size, cap - size, "line %d\r\n", index);
    assert_int_equal (harness_send_raw (alice, burst, size), 0);
    free (burst);

    char line [CHAT_LINE_SIZE];
    for (int index = 0; index < CHAT_ORDERED_LINES; index++) {
        const char *next = harness_next_line (bob, HARNESS_TIMEOUT_MS);
        assert_non_null (next);
        snprintf (line, sizeof line, "[general] %s: line %d", harness_client_nick (alice), index);
        assert_string_equal (next, line);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_same_gateway, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_across_gateways, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_slash_escape, harness_setup, harness_teardown),
        cmocka_unit_test_setup_teardown (test_order, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

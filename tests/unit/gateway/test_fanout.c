/*  =========================================================================
    test_fanout.c - published room traffic to local members

    Members are real clients over socketpairs, so the test reads exactly
    the bytes each user would see.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include "fanout.h"
#include "client.h"

#define TEST_GATEWAY    "gw-test"
#define TEST_MEMBERS    3
#define TEST_BUFFER     4096

typedef struct {
    loop_t *loop;
    client_set_t *clients;
    subs_t *subs;
    format_t *format;
    sessions_t *sessions;
    fanout_t fanout;
    subs_room_t *room;
    int peers [TEST_MEMBERS];           //  the users' ends
    subs_member_t members [TEST_MEMBERS];
} fixture_t;

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    (void) owner, (void) client, (void) line, (void) size;
    return 0;
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    (void) owner, (void) client, (void) reason;
}

static void
s_subscribe (void *owner, subs_room_t *room)
{
    (void) owner, (void) room;
}

static int
s_stop (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id, (void) arg;
    loop_stop (loop);
    return -1;
}

//  One loop pass flushes every client; then read what user index got.
static const char *
s_reads (fixture_t *fixture, int index, char *buffer)
{
    loop_timer_add (fixture->loop, 0, false, s_stop, NULL);
    loop_run (fixture->loop);
    ssize_t size = recv (fixture->peers [index], buffer, TEST_BUFFER - 1, MSG_DONTWAIT);
    buffer [size > 0? size: 0] = 0;
    return buffer;
}

static int
s_setup (void **state)
{
    fixture_t *fixture = (fixture_t *) zmalloc (sizeof (fixture_t));
    fixture->loop = loop_new ();
    client_limits_t limits = { .max_line = 2048, .outbuf_max = 65536, .linger_ms = 100 };
    client_events_t events = { s_on_line, s_on_closed, NULL, NULL, NULL };
    fixture->clients = client_set_new (fixture->loop, &limits, &events, fixture);
    subs_events_t subs_events = { s_subscribe, NULL };
    fixture->subs = subs_new (&subs_events, fixture);
    fixture->format = format_new ();
    fixture->sessions = sessions_new ();
    fixture->fanout = (fanout_t) { fixture->subs, fixture->format, fixture->sessions, TEST_GATEWAY, 0 };
    fixture->room = subs_ref (fixture->subs, "rust");
    assert_true (subs_probed (fixture->subs, "rust", subs_room_token (fixture->room)));
    for (int index = 0; index < TEST_MEMBERS; index++) {
        int pair [2];
        assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
        fixture->peers [index] = pair [0];
        client_t *client = client_set_accept (fixture->clients, pair [1]);
        assert_non_null (client);
        fixture->members [index].data = client;
        fixture->members [index].id = client_id (client);
        subs_member_add (fixture->room, &fixture->members [index]);
    }
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_destroy (&fixture->subs);
    client_set_destroy (&fixture->clients);
    sessions_destroy (&fixture->sessions);
    format_destroy (&fixture->format);
    loop_destroy (&fixture->loop);
    for (int index = 0; index < TEST_MEMBERS; index++)
        close (fixture->peers [index]);
    free (fixture);
    return 0;
}

static wire_msg_t *
s_event (wire_id_t id, const char *room, uint64_t seq, const char *gateway, uint64_t client,
         const char *nick, const char *text)
{
    wire_msg_t *msg = wire_msg_new (id);
    wire_msg_set_room (msg, room);
    msg->seq = seq;
    wire_msg_set_gateway (msg, gateway);
    msg->client = client;
    wire_msg_set_nick (msg, nick);
    if (text)
        wire_msg_set_text (msg, text);
    return msg;
}

static void
s_publish (fixture_t *fixture, wire_msg_t *msg)
{
    fanout_room_message (&fixture->fanout, msg);
    wire_msg_destroy (&msg);
}

static void
test_chat_skips_only_our_sender (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    uint64_t sender = fixture->members [0].id;
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 1, TEST_GATEWAY, sender, "alice", "hi"));
    char buffer [TEST_BUFFER];
    assert_string_equal (s_reads (fixture, 0, buffer), "");
    assert_string_equal (s_reads (fixture, 1, buffer), "[rust] alice: hi\r\n");
    assert_string_equal (s_reads (fixture, 2, buffer), "[rust] alice: hi\r\n");
    //  Same client id on another gateway is someone else: everyone gets it
    s_publish (fixture, s_event (WIRE_EMOTE, "rust", 2, "gw-other", sender, "bob", "waves"));
    for (int index = 0; index < TEST_MEMBERS; index++)
        assert_string_equal (s_reads (fixture, index, buffer), "[rust] * bob waves\r\n");
}

static void
test_notices_reach_everyone (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_publish (fixture, s_event (WIRE_JOINED, "rust", 1, "gw-other", 7, "carol", NULL));
    wire_msg_t *renamed = s_event (WIRE_RENAMED, "rust", 2, "gw-other", 7, "carol", NULL);
    wire_msg_set_target (renamed, "caz");
    s_publish (fixture, renamed);
    s_publish (fixture, s_event (WIRE_LEFT, "rust", 3, "gw-other", 7, "caz", "quit"));
    wire_msg_t *notice = s_event (WIRE_NOTICE, "rust", 4, "", 0, "", "Server shutting down...");
    s_publish (fixture, notice);
    char buffer [TEST_BUFFER];
    for (int index = 0; index < TEST_MEMBERS; index++)
        assert_string_equal (s_reads (fixture, index, buffer),
            "* carol joined #rust\r\n* carol is now known as caz\r\n"
            "* caz left #rust (quit)\r\n* Server shutting down...\r\n");
}

static void
test_gap_is_reported (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 10, "gw-other", 1, "bob", "a"));
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 15, "gw-other", 1, "bob", "b"));
    //  Router restart: numbers go down, no warning
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 1, "gw-other", 1, "bob", "c"));
    char buffer [TEST_BUFFER];
    assert_string_equal (s_reads (fixture, 2, buffer),
        "[rust] bob: a\r\n! missed 4 messages in #rust\r\n[rust] bob: b\r\n[rust] bob: c\r\n");
}

static void
test_other_rooms_ignored (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_publish (fixture, s_event (WIRE_CHAT, "rustacean", 1, "gw-other", 1, "bob", "no"));
    //  Subscribed but still probing: not delivered
    subs_ref (fixture->subs, "probing");
    s_publish (fixture, s_event (WIRE_CHAT, "probing", 1, "gw-other", 1, "bob", "no"));
    char buffer [TEST_BUFFER];
    for (int index = 0; index < TEST_MEMBERS; index++)
        assert_string_equal (s_reads (fixture, index, buffer), "");
}

static void
test_removed_member_gets_nothing (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_member_remove (&fixture->members [1]);
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 1, "gw-other", 1, "bob", "x"));
    char buffer [TEST_BUFFER];
    assert_string_equal (s_reads (fixture, 0, buffer), "[rust] bob: x\r\n");
    assert_string_equal (s_reads (fixture, 1, buffer), "");
    assert_string_equal (s_reads (fixture, 2, buffer), "[rust] bob: x\r\n");
}

int
main (void)
{
    zsys_set_logstream (NULL);      //  quiet: the client set logs opens and closes
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_chat_skips_only_our_sender, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_notices_reach_everyone, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gap_is_reported, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_rooms_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_removed_member_gets_nothing, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

/*  =========================================================================
    test_fanout.c - published room traffic to local members

    Members are real clients over socketpairs, so the test reads exactly
    the bytes each user would see. Room lines go out through the client
    set's pass buffer (client_write_shared); the tests at the end check
    that they are copied once, not per member, and that ordering and a
    full kernel buffer come out right.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include "fanout.h"
#include "client_private.h"     //  the pass buffer and the queues, to see the copies

#define TEST_GATEWAY    "gw-test"
#define TEST_MEMBERS    3
#define TEST_BUFFER     4096
#define TEST_BURST      40      //  lines in one pass, past a small kernel buffer
#define TEST_SNDBUF     4096    //  that buffer (SO_SNDBUF)

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
    fixture->fanout = (fanout_t) { .subs = fixture->subs, .format = fixture->format,
                                   .sessions = fixture->sessions, .gateway_id = TEST_GATEWAY,
                                   .clients = fixture->clients };
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
    fanout_room_message (&fixture->fanout, &msg);
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

//  Lines of one pass are copied once into the pass buffer, and no
//  member's queue takes memory for them.
static void
test_lines_copied_once (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 1, "gw-other", 1, "bob", "one"));
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 2, "gw-other", 1, "bob", "two"));
    const char *expected = "[rust] bob: one\r\n[rust] bob: two\r\n";
    assert_int_equal (fixture->clients->shared_used, strlen (expected));
    assert_int_equal (outbuf_pool_holders (fixture->clients->outbufs), 0);
    char buffer [TEST_BUFFER];
    for (int index = 0; index < TEST_MEMBERS; index++)
        assert_string_equal (s_reads (fixture, index, buffer), expected);
    //  The flush is over: the buffer starts again
    assert_int_equal (fixture->clients->shared_used, 0);
}

//  A line written to one member alone (a notice, a private line) and
//  lines of another room keep their order around the shared ones.
static void
test_order_with_copies (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    subs_room_t *other = subs_ref (fixture->subs, "go");
    assert_true (subs_probed (fixture->subs, "go", subs_room_token (other)));
    subs_member_t also = { .data = fixture->members [0].data, .id = fixture->members [0].id };
    subs_member_add (other, &also);
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 1, "gw-other", 1, "bob", "r1"));
    assert_int_equal (client_write ((client_t *) fixture->members [1].data, "* private\r\n", 11), 0);
    s_publish (fixture, s_event (WIRE_CHAT, "go", 1, "gw-other", 1, "bob", "g1"));
    s_publish (fixture, s_event (WIRE_CHAT, "rust", 2, "gw-other", 1, "bob", "r2"));
    char buffer [TEST_BUFFER];
    assert_string_equal (s_reads (fixture, 0, buffer),
                         "[rust] bob: r1\r\n[go] bob: g1\r\n[rust] bob: r2\r\n");
    assert_string_equal (s_reads (fixture, 1, buffer),
                         "[rust] bob: r1\r\n* private\r\n[rust] bob: r2\r\n");
    assert_string_equal (s_reads (fixture, 2, buffer), "[rust] bob: r1\r\n[rust] bob: r2\r\n");
    subs_member_remove (&also);
}

//  Read everything user index can get, running the loop (its flushes)
//  until the user has expected bytes.
static size_t
s_read_all (fixture_t *fixture, int index, char *buffer, size_t expected)
{
    size_t size = 0;
    for (int pass = 0; pass < 1000 && size < expected; pass++) {
        loop_timer_add (fixture->loop, 1, false, s_stop, NULL);
        loop_run (fixture->loop);
        ssize_t got;
        while ((got = recv (fixture->peers [index], buffer + size, expected - size, MSG_DONTWAIT)) > 0)
            size += (size_t) got;
    }
    return size;
}

//  A member whose kernel buffer fills keeps the rest in its own queue;
//  the others get everything from the pass buffer, and so does it, in
//  order, once it reads.
static void
test_full_kernel_keeps_the_rest (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    client_t *slow = (client_t *) fixture->members [1].data;
    int sndbuf = TEST_SNDBUF;
    assert_int_equal (setsockopt (slow->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof (sndbuf)), 0);
    char text [500];
    memset (text, 'x', sizeof (text) - 1);
    text [sizeof (text) - 1] = 0;
    //  A line of their own to two members halfway: it goes behind the
    //  shared ones before it, however much of those the kernel takes
    size_t total = 0;
    for (int line = 0; line < TEST_BURST; line++) {
        if (line == TEST_BURST / 2)
            for (int index = 0; index < 2; index++) {
                client_t *client = (client_t *) fixture->members [index].data;
                assert_int_equal (client_write (client, "* private\r\n", 11), 0);
            }
        s_publish (fixture, s_event (WIRE_CHAT, "rust", (uint64_t) line + 1, "gw-other", 1, "bob", text));
    }
    total = fixture->clients->shared_used + 11;
    assert_true (total > 2 * TEST_SNDBUF);
    //  One pass: the fast members' flushes take it all, the slow one part
    loop_timer_add (fixture->loop, 0, false, s_stop, NULL);
    loop_run (fixture->loop);
    assert_true (outbuf_used (&slow->output) > 0 && outbuf_used (&slow->output) < total);
    assert_int_equal (slow->shared_size, 0);
    assert_int_equal (fixture->clients->shared_used, 0);
    char *first = (char *) malloc (total + 1), *other = (char *) malloc (total + 1);
    assert_int_equal (s_read_all (fixture, 0, first, total), total);
    assert_int_equal (s_read_all (fixture, 1, other, total), total);
    assert_memory_equal (first, other, total);
    //  The third member got the same lines without the private one
    size_t half = (strlen (text) + strlen ("[rust] bob: \r\n")) * (TEST_BURST / 2);
    assert_memory_equal (first + half, "* private\r\n", 11);
    assert_int_equal (s_read_all (fixture, 2, other, total - 11), total - 11);
    assert_memory_equal (first, other, half);
    assert_memory_equal (first + half + 11, other + half, total - 11 - half);
    free (first);
    free (other);
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
        cmocka_unit_test_setup_teardown (test_lines_copied_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_order_with_copies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_kernel_keeps_the_rest, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

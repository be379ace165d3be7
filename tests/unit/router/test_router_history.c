/*  =========================================================================
    test_router_history.c - replay on join and HISTORY pages, in-process

    A router actor on loopback, driven by two DEALERs standing in for
    gateways (router_fixture.h). Every published CHAT and EMOTE is
    history; a JOIN or LOGIN is followed on ingress by the newest
    --replay lines below the joiner's JOINED seq and a HISTORY_END naming
    that seq; HISTORY pages back from any seq, capped by --history-max.
    =========================================================================
*/
#include "router_fixture.h"

#define TEST_REPLAY             3       //  --replay in these tests
#define TEST_HISTORY_MAX        2       //  --history-max in these tests

static int
s_setup_history (void **state)
{
    s_test_config (&s_config);
    s_config.replay = TEST_REPLAY;
    s_config.history_max = TEST_HISTORY_MAX;
    s_keep_history = true;
    return s_setup_with (state, &s_config);
}

static int
s_setup_no_replay (void **state)
{
    s_test_config (&s_config);
    s_config.replay = 0;
    s_keep_history = true;
    return s_setup_with (state, &s_config);
}

//  The next reply must be a history line of room general with seq, id
//  (LINE or ACTION) and text, for client.
static void
s_expect_line (zsock_t *gateway, uint64_t client, wire_id_t id, uint64_t seq, const char *text)
{
    wire_msg_t *line = s_expect_reply (gateway, id);
    assert_int_equal (line->client, client);
    assert_string_equal (line->room, "general");
    assert_true (line->seq == seq);
    assert_string_equal (line->nick, "alice");
    assert_string_equal (line->text, text);
    //  Said just now, in UTC ms
    assert_true (line->time > 0);
    assert_true ((int64_t) line->time <= zclock_time ());
    wire_msg_destroy (&line);
}

static void
s_expect_end (zsock_t *gateway, uint64_t client, uint64_t seq, uint64_t count, const char *tag)
{
    wire_msg_t *end = s_expect_reply (gateway, WIRE_HISTORY_END);
    assert_int_equal (end->client, client);
    assert_string_equal (end->room, "general");
    assert_true (end->seq == seq);
    assert_true (end->total == count);
    assert_string_equal (end->text, tag);
    wire_msg_destroy (&end);
}

static void
s_history (zsock_t *gateway, uint64_t client, uint64_t before, uint64_t count)
{
    wire_msg_t *request = wire_msg_new (WIRE_HISTORY);
    request->client = client;
    request->seq = before;
    request->limit = count;
    s_send (gateway, request);
}

static void
s_say (zsock_t *gateway, wire_id_t id, const char *text)
{
    wire_msg_t *say = wire_msg_new (id);
    say->client = 1;
    wire_msg_set_text (say, text);
    s_send (gateway, say);
}

//  gw1 registered, alice (client 1) logged in to an empty general.
static fixture_t *
s_alice_in_general (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");
    free (s_login (self->gw1, 1, "alice", "general", ""));
    //  An empty room: the replay is just its end, cut at alice's JOINED
    s_expect_end (self->gw1, 1, 1, 0, "join");
    return self;
}

static void
test_replay_and_pages (void **state)
{
    fixture_t *self = s_alice_in_general (state);
    s_say (self->gw1, WIRE_SAY, "one");
    s_say (self->gw1, WIRE_SAY, "two");
    s_say (self->gw1, WIRE_SAY, "three");
    s_say (self->gw1, WIRE_ACTION, "waves");
    s_say (self->gw1, WIRE_SAY, "five");
    s_skip_pub (self, WIRE_JOINED);
    s_skip_pub (self, WIRE_CHAT);
    s_skip_pub (self, WIRE_CHAT);
    s_skip_pub (self, WIRE_CHAT);
    s_skip_pub (self, WIRE_EMOTE);
    s_skip_pub (self, WIRE_CHAT);

    //  bob joins at seq 7: the newest three lines below it, oldest first
    free (s_login (self->gw1, 2, "bob", "general", ""));
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 4, "three");
    s_expect_line (self->gw1, 2, WIRE_HISTORY_ACTION, 5, "waves");
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 6, "five");
    s_expect_end (self->gw1, 2, 7, 3, "join");
    s_skip_pub (self, WIRE_JOINED);

    //  Pages: capped at --history-max, each ends with its oldest seq
    s_history (self->gw1, 2, 0, 0);
    s_expect_line (self->gw1, 2, WIRE_HISTORY_ACTION, 5, "waves");
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 6, "five");
    s_expect_end (self->gw1, 2, 5, 2, "page");
    s_history (self->gw1, 2, 5, 100);
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 3, "two");
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 4, "three");
    s_expect_end (self->gw1, 2, 3, 2, "page");
    s_history (self->gw1, 2, 3, 1);
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 2, "one");
    s_expect_end (self->gw1, 2, 2, 1, "page");
    //  Past the oldest line: an empty page
    s_history (self->gw1, 2, 2, 1);
    s_expect_end (self->gw1, 2, 0, 0, "page");
    //  No session, no history
    s_history (self->gw1, 99, 0, 1);
    s_expect_error (self->gw1, 99, "not logged in");

    //  A resync LOGIN is silent: no JOINED, so no replay either
    free (s_login (self->gw1, 2, "bob", "general", "resync"));
    s_expect_quiet (self, self->gw1);
}

static void
test_replay_off (void **state)
{
    fixture_t *self = s_alice_in_general (state);
    s_say (self->gw1, WIRE_SAY, "one");
    //  --replay 0: the end still comes (the gateway waits for it), empty
    free (s_login (self->gw1, 2, "bob", "general", ""));
    s_expect_end (self->gw1, 2, 3, 0, "join");
    //  /history still works
    s_history (self->gw1, 2, 0, 0);
    s_expect_line (self->gw1, 2, WIRE_HISTORY_LINE, 2, "one");
    s_expect_end (self->gw1, 2, 2, 1, "page");
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_replay_and_pages, s_setup_history, s_teardown),
        cmocka_unit_test_setup_teardown (test_replay_off, s_setup_no_replay, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

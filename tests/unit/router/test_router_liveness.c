/*  =========================================================================
    test_router_liveness.c - the router's timers in-process: gateway timeouts, BYE, drain, limits

    The router runs in-process and the test plays its gateways over real
    sockets (tests/unit/router/router_fixture.h).
    =========================================================================
*/
#include "router_fixture.h"

static void
test_gateway_timeout_and_bye (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");
    s_login_joined (self, self->gw1, 1, "alice", "general");
    s_login_joined (self, self->gw2, 1, "bob", "general");
    s_login_joined (self, self->gw2, 2, "carl", "general");

    //  gw2 goes silent; gw1 keeps talking until gw2's members are gone
    int left_count = 0;
    int64_t deadline = zclock_mono () + TEST_WAIT_MS + TEST_GATEWAY_TIMEOUT_S * TEST_MS_PER_S;
    while (left_count < 2 && zclock_mono () < deadline) {
        s_send_verb (self->gw1, WIRE_HEARTBEAT, 0);
        wire_msg_t *msg = s_recv (self->sub, TEST_KEEPALIVE_MS);
        if (msg && msg->id == WIRE_LEFT) {
            assert_string_equal (msg->gateway, "gw2");
            assert_string_equal (msg->text, "connection lost");
            left_count++;
        }
        wire_msg_destroy (&msg);
    }
    assert_int_equal (left_count, 2);

    //  gw2 is unknown now: RESYNC; gw1 is still known
    s_send_verb (self->gw2, WIRE_HEARTBEAT, 0);
    s_skip_reply (self->gw2, WIRE_RESYNC);
    s_send_verb (self->gw1, WIRE_WHO, 1);
    wire_msg_t *who = s_expect_reply (self->gw1, WIRE_WHO_LIST);
    assert_int_equal (who->entry_count, 1);
    wire_msg_destroy (&who);

    //  BYE drops at once, with its own reason; the nickname is free again
    s_send_verb (self->gw1, WIRE_BYE, 0);
    wire_msg_t *left = s_expect_pub (self, WIRE_LEFT);
    assert_string_equal (left->nick, "alice");
    assert_string_equal (left->text, "gateway shut down");
    wire_msg_destroy (&left);
    //  While gw2 is away its id stays reserved for its own connection
    zsock_t *impostor = s_new_gateway (self, "impostor");
    s_send_hello (impostor, "gw2", "evil");
    s_skip_reply (impostor, WIRE_HELLO_REFUSED);
    zsock_destroy (&impostor);
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    char *nick = s_login (self->gw2, 3, "alice", "general", "resync");
    assert_string_equal (nick, "alice");
    zstr_free (&nick);
    //  gw2 had been dropped as lost, and the room saw its users leave:
    //  its resync LOGIN is announced, not silent
    wire_msg_t *joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->nick, "alice");
    assert_string_equal (joined->gateway, "gw2");
    wire_msg_destroy (&joined);
}

static void
test_status_and_drain (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");
    s_subscribe (self, self->gw1, "rust");
    s_subscribe (self, self->gw1, WIRE_TOPIC_CONTROL);
    s_login_joined (self, self->gw1, 1, "alice", "general");
    s_login_joined (self, self->gw2, 1, "bob", "rust");
    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "one");
    s_skip_pub (self, WIRE_CHAT);

    bool ok = false;
    char *body = s_control (self, "STATUS", &ok);
    assert_true (ok);
    char expected [1024];
    snprintf (expected, sizeof (expected),
              "state=running\nepoch=%" PRIu64 "\ngateways=2\nsessions=2\nrooms=2\n"
              "store=memory\nhistory_records=1\nhistory_written=0\n"
              "history_pending=0\nhistory_write_errors=0\n"
              "gateway id=gw1 name=first sessions=1\n"
              "gateway id=gw2 name=second sessions=1\n"
              "room name=general members=1 seq=2\n"
              "room name=rust members=1 seq=1\n", router_epoch (self->router));
    assert_string_equal (body, expected);
    zstr_free (&body);
    body = s_control (self, "BOGUS", &ok);
    assert_false (ok);
    zstr_free (&body);

    body = s_control (self, "SHUTDOWN", &ok);
    assert_true (ok);
    zstr_free (&body);
    //  NOTICE in every room (numbered), then DRAIN on the control topic
    wire_msg_t *notice = s_expect_pub (self, WIRE_NOTICE);
    wire_msg_t *notice2 = s_expect_pub (self, WIRE_NOTICE);
    bool general_first = streq (notice->room, "general");
    assert_true (notice->seq == (general_first? 3: 2));
    assert_true (notice2->seq == (general_first? 2: 3));
    assert_string_equal (notice->text, "Server shutting down...");
    wire_msg_destroy (&notice);
    wire_msg_destroy (&notice2);
    wire_msg_t *drain = s_expect_pub (self, WIRE_DRAIN);
    assert_true (drain->epoch == router_epoch (self->router));
    wire_msg_destroy (&drain);

    //  New lines are refused; status still answers
    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "too late");
    s_expect_error (self->gw1, 1, "server shutting down");
    s_send_text (self->gw1, WIRE_NICK, 1, "zed", NULL);
    s_expect_error (self->gw1, 1, "server shutting down");
    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "rust");
    s_expect_join_refused (self->gw1, 1, "rust", "server shutting down");
    s_send_login (self->gw1, 2, "", "general", "");
    s_expect_error (self->gw1, 2, "server shutting down");
    body = s_control (self, "STATUS", &ok);
    assert_true (ok);
    assert_memory_equal (body, "state=draining\n", strlen ("state=draining\n"));
    zstr_free (&body);

    //  Both gateways drained: the router's run ends (its sockets stay
    //  bound until router_destroy, but it no longer answers)
    s_send_verb (self->gw1, WIRE_DRAINED, 0);
    s_send_verb (self->gw2, WIRE_DRAINED, 0);
    int64_t deadline = zclock_mono () + TEST_WAIT_MS;
    while (s_answers (self) && zclock_mono () < deadline)
        ;
    assert_false (s_answers (self));
}

static void
test_drain_timeout (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_subscribe (self, self->gw1, WIRE_TOPIC_CONTROL);
    int64_t started = zclock_mono ();
    zstr_send (self->actor, "DRAIN");
    s_skip_pub (self, WIRE_DRAIN);
    //  DRAIN repeats while the gateway has not answered, and the router
    //  keeps serving: heartbeats keep gw1 known, STATUS answers
    s_skip_pub (self, WIRE_DRAIN);
    s_send_verb (self->gw1, WIRE_HEARTBEAT, 0);
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    s_skip_reply (self->gw1, WIRE_ROOM_LIST);
    assert_true (s_answers (self));
    //  gw1 never drains: the run ends at the deadline, not before
    while (s_answers (self) && zclock_mono () - started < TEST_WAIT_MS + TEST_DRAIN_MS)
        s_send_verb (self->gw1, WIRE_HEARTBEAT, 0);
    int64_t elapsed = zclock_mono () - started;
    assert_true (elapsed >= TEST_DRAIN_MS - TEST_QUIET_MS);
    assert_true (elapsed < TEST_DRAIN_MS + TEST_WAIT_MS);
    assert_false (s_answers (self));
}

static void
test_huge_timeouts (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (WIRE_TOPIC_CONTROL, topic);
    zsock_set_subscribe (self->sub, topic);
    int beats = 0;
    int64_t deadline = zclock_mono () + TEST_QUIET_MS + TEST_GATEWAY_TIMEOUT_S * TEST_MS_PER_S;
    while (zclock_mono () < deadline) {
        wire_msg_t *msg = s_recv (self->sub, (int) (deadline - zclock_mono ()));
        if (msg && msg->id == WIRE_BEAT)
            beats++;
        wire_msg_destroy (&msg);
    }
    assert_true (beats <= 1);
    //  Still registered after a silence longer than any test timeout
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    s_skip_reply (self->gw1, WIRE_ROOM_LIST);

    //  A drain waits for the gateway's DRAINED
    zstr_send (self->actor, "DRAIN");
    s_skip_pub (self, WIRE_DRAIN);
    zclock_sleep (TEST_QUIET_MS);
    assert_true (s_answers (self));
    s_send_verb (self->gw1, WIRE_DRAINED, 0);
    deadline = zclock_mono () + TEST_WAIT_MS;
    while (s_answers (self) && zclock_mono () < deadline)
        ;
    assert_false (s_answers (self));
}

static void
test_limits (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_login_quietly (self->gw1, 1, "alice", "general");
    s_login_quietly (self->gw1, 2, "bob", "rust");
    s_login_quietly (self->gw1, 3, "carol", "general");
    //  A fourth session is refused
    s_send_login (self->gw1, 4, "", "general", "");
    s_expect_error (self->gw1, 4, "too many sessions");
    //  A third room is refused while both rooms stay in use...
    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "go");
    s_expect_join_refused (self->gw1, 1, "go", "too many rooms");
    s_send_login (self->gw1, 4, "", "elsewhere", "");
    s_expect_error (self->gw1, 4, "too many sessions");
    //  ...but bob is alone in rust: leaving it frees the slot
    s_send_text (self->gw1, WIRE_JOIN, 2, NULL, "go");
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    wire_msg_t *list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->entry_count, 2);
    assert_string_equal (list->entries [0].name, "general");
    assert_int_equal (list->entries [0].count, 2);
    assert_string_equal (list->entries [1].name, "go");
    assert_int_equal (list->entries [1].count, 1);
    wire_msg_destroy (&list);
    //  A freed session slot can be reused, into an existing room
    s_send_text (self->gw1, WIRE_LOGOUT, 2, NULL, "quit");
    s_login_quietly (self->gw1, 4, "dave", "general");
    //  A new room at login past the limit is refused
    s_send_text (self->gw1, WIRE_LOGOUT, 4, NULL, "quit");
    s_send_text (self->gw1, WIRE_JOIN, 3, NULL, "go");
    s_send_login (self->gw1, 5, "", "third", "");
    s_expect_error (self->gw1, 5, "too many rooms");
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_gateway_timeout_and_bye, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_and_drain, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_drain_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_huge_timeouts, s_setup_never, s_teardown),
        cmocka_unit_test_setup_teardown (test_limits, s_setup_small, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

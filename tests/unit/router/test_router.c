/*  =========================================================================
    test_router.c - the router answering each gateway request, in-process

    The router runs in-process and the test plays its gateways over real
    sockets (tests/unit/router/router_fixture.h).
    =========================================================================
*/
#include "router_fixture.h"

static void
test_hello_and_resync (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    uint64_t epoch = router_epoch (self->router);
    assert_true (epoch > 0 && epoch <= INT64_MAX);

    //  Unknown gateway: RESYNC once, then silence within the second
    s_send_verb (self->gw1, WIRE_HEARTBEAT, 0);
    wire_msg_t *resync = s_expect_reply (self->gw1, WIRE_RESYNC);
    assert_true (resync->epoch == epoch);
    wire_msg_destroy (&resync);
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    s_expect_quiet (self, self->gw1);

    //  HELLO without an id is ignored
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    s_send (self->gw1, hello);
    s_expect_quiet (self, self->gw1);

    s_hello (self->gw1, "gw1", "first", epoch);
    s_send_verb (self->gw1, WIRE_ROOMS, 7);
    wire_msg_t *list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->client, 7);
    assert_int_equal (list->entry_count, 0);
    wire_msg_destroy (&list);
}

static void
test_login_guest_and_chat (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");

    char *guest = s_login (self->gw1, 1, "", "general", "");
    assert_int_equal (strlen (guest), strlen ("guest-NNNN"));
    assert_memory_equal (guest, "guest-", strlen ("guest-"));
    wire_msg_t *joined = s_expect_pub (self, WIRE_JOINED);
    assert_true (joined->seq == 1);
    assert_string_equal (joined->gateway, "gw1");
    assert_int_equal (joined->client, 1);
    assert_string_equal (joined->nick, guest);
    wire_msg_destroy (&joined);

    char *other = s_login (self->gw1, 2, "", "#General", "");
    assert_string_not_equal (guest, other);
    wire_msg_t *joined2 = s_expect_pub (self, WIRE_JOINED);
    assert_true (joined2->seq == 2);
    wire_msg_destroy (&joined2);

    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "hello there");
    wire_msg_t *chat = s_expect_pub (self, WIRE_CHAT);
    assert_true (chat->seq == 3);
    assert_string_equal (chat->room, "general");
    assert_string_equal (chat->gateway, "gw1");
    assert_int_equal (chat->client, 1);
    assert_string_equal (chat->nick, guest);
    assert_string_equal (chat->text, "hello there");
    wire_msg_destroy (&chat);

    s_send_text (self->gw1, WIRE_ACTION, 2, NULL, "waves");
    wire_msg_t *emote = s_expect_pub (self, WIRE_EMOTE);
    assert_true (emote->seq == 4);
    assert_string_equal (emote->nick, other);
    assert_string_equal (emote->text, "waves");
    wire_msg_destroy (&emote);

    //  SAY from a client without a session
    s_send_text (self->gw1, WIRE_SAY, 99, NULL, "who am i");
    s_expect_error (self->gw1, 99, "not logged in");

    //  LOGOUT announces LEFT with the reason
    s_send_text (self->gw1, WIRE_LOGOUT, 2, NULL, "quit");
    wire_msg_t *left = s_expect_pub (self, WIRE_LEFT);
    assert_true (left->seq == 5);
    assert_string_equal (left->nick, other);
    assert_string_equal (left->text, "quit");
    wire_msg_destroy (&left);
    zstr_free (&guest);
    zstr_free (&other);
}

static void
test_login_resync_and_invalid (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");

    //  Resync keeps a free nickname and publishes nothing
    char *nick = s_login (self->gw1, 1, "Alice", "general", "resync");
    assert_string_equal (nick, "Alice");
    zstr_free (&nick);
    s_expect_quiet (self, self->gw1);

    //  Taken (ignoring case) or invalid nickname: a guest nickname
    nick = s_login (self->gw2, 1, "alice", "general", "resync");
    assert_memory_equal (nick, "guest-", strlen ("guest-"));
    zstr_free (&nick);
    nick = s_login (self->gw2, 2, "9lives", "general", "resync");
    assert_memory_equal (nick, "guest-", strlen ("guest-"));
    zstr_free (&nick);

    //  Invalid room
    s_send_login (self->gw1, 5, "", "no spaces", "");
    s_expect_error (self->gw1, 5, "invalid room name: bad character (allowed: letters, digits, _ and -)");
    s_send_login (self->gw1, 5, "", "#", "");
    s_expect_error (self->gw1, 5, "invalid room name: empty");

    //  The first numbered event after silent logins is 1
    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "first");
    wire_msg_t *chat = s_expect_pub (self, WIRE_CHAT);
    assert_true (chat->seq == 1);
    assert_string_equal (chat->nick, "Alice");
    wire_msg_destroy (&chat);

    //  A second LOGIN for the same client replaces the session
    nick = s_login (self->gw1, 1, "Alice", "general", "");
    assert_string_equal (nick, "Alice");
    zstr_free (&nick);
    wire_msg_t *left = s_expect_pub (self, WIRE_LEFT);
    assert_string_equal (left->text, "session replaced");
    wire_msg_destroy (&left);
    wire_msg_t *joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->nick, "Alice");
    wire_msg_destroy (&joined);
}

static void
test_join (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");
    s_subscribe (self, self->gw1, "rust");
    s_login_joined (self, self->gw1, 1, "alice", "general");
    s_login_joined (self, self->gw1, 2, "bob", "general");

    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "general");
    s_expect_join_refused (self->gw1, 1, "general", "you are already in #general");
    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "rust!");
    s_expect_join_refused (self->gw1, 1, "rust!",
                           "invalid room name: bad character (allowed: letters, digits, _ and -)");
    s_send_text (self->gw1, WIRE_JOIN, 99, NULL, "rust");
    s_expect_join_refused (self->gw1, 99, "rust", "not logged in");
    //  Other requests still fail with ERROR
    s_send_text (self->gw1, WIRE_PRIVMSG, 1, "nobody", "hi");
    s_expect_error (self->gw1, 1, "no such nickname: nobody");

    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "#RUST");
    wire_msg_t *left = s_expect_pub (self, WIRE_LEFT);
    assert_string_equal (left->room, "general");
    assert_true (left->seq == 3);
    assert_string_equal (left->nick, "alice");
    assert_string_equal (left->text, "joined #rust");
    wire_msg_destroy (&left);
    wire_msg_t *joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->room, "rust");
    assert_true (joined->seq == 1);
    wire_msg_destroy (&joined);

    //  Chat goes to the session's room only
    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "in rust");
    wire_msg_t *chat = s_expect_pub (self, WIRE_CHAT);
    assert_string_equal (chat->room, "rust");
    assert_true (chat->seq == 2);
    wire_msg_destroy (&chat);

    //  Rooms: sorted, with counts; an emptied room disappears
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    wire_msg_t *list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->entry_count, 2);
    assert_string_equal (list->entries [0].name, "general");
    assert_int_equal (list->entries [0].count, 1);
    assert_string_equal (list->entries [1].name, "rust");
    assert_int_equal (list->entries [1].count, 1);
    wire_msg_destroy (&list);

    s_send_text (self->gw1, WIRE_JOIN, 1, NULL, "general");
    s_skip_pub (self, WIRE_LEFT);
    joined = s_expect_pub (self, WIRE_JOINED);
    assert_true (joined->seq == 4);
    wire_msg_destroy (&joined);
    s_send_verb (self->gw1, WIRE_ROOMS, 1);
    list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->entry_count, 1);
    assert_string_equal (list->entries [0].name, "general");
    assert_int_equal (list->entries [0].count, 2);
    wire_msg_destroy (&list);

    //  A recreated room continues after the last line its history holds
    //  (the chat line at seq 2; its JOINED and LEFT were not history)
    s_send_text (self->gw1, WIRE_JOIN, 2, NULL, "rust");
    s_skip_pub (self, WIRE_LEFT);
    joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->room, "rust");
    assert_true (joined->seq == 3);
    wire_msg_destroy (&joined);
}

static void
test_nick (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    s_subscribe (self, self->gw1, "general");
    s_login_joined (self, self->gw1, 1, "alice", "general");
    s_login_joined (self, self->gw2, 1, "bob", "general");

    s_send_text (self->gw1, WIRE_NICK, 1, "9x", NULL);
    s_expect_error (self->gw1, 1, "invalid nickname: must start with a letter or _");
    s_send_text (self->gw1, WIRE_NICK, 1, "", NULL);
    s_expect_error (self->gw1, 1, "invalid nickname: empty");
    s_send_text (self->gw1, WIRE_NICK, 1, "BOB", NULL);
    s_expect_error (self->gw1, 1, "nickname taken: BOB");
    //  Guest names are the router's own, in any case
    s_send_text (self->gw1, WIRE_NICK, 1, "GUEST-1", NULL);
    s_expect_error (self->gw1, 1, "invalid nickname: names starting with guest- are "
                                  "given out by the server only");

    //  Own case variant is allowed and announced
    s_send_text (self->gw1, WIRE_NICK, 1, "Alice", NULL);
    wire_msg_t *nicked = s_expect_reply (self->gw1, WIRE_NICKED);
    assert_int_equal (nicked->client, 1);
    assert_string_equal (nicked->nick, "Alice");
    wire_msg_destroy (&nicked);
    wire_msg_t *renamed = s_expect_pub (self, WIRE_RENAMED);
    assert_string_equal (renamed->nick, "alice");
    assert_string_equal (renamed->target, "Alice");
    assert_true (renamed->seq == 3);
    wire_msg_destroy (&renamed);

    //  A real rename frees the old nickname
    s_send_text (self->gw1, WIRE_NICK, 1, "carol", NULL);
    s_skip_reply (self->gw1, WIRE_NICKED);
    renamed = s_expect_pub (self, WIRE_RENAMED);
    assert_string_equal (renamed->nick, "Alice");
    assert_string_equal (renamed->target, "carol");
    wire_msg_destroy (&renamed);
    s_send_text (self->gw2, WIRE_NICK, 1, "ALICE", NULL);
    nicked = s_expect_reply (self->gw2, WIRE_NICKED);
    assert_string_equal (nicked->nick, "ALICE");
    wire_msg_destroy (&nicked);
    s_skip_pub (self, WIRE_RENAMED);

    //  WHO: sorted ignoring case, across gateways
    s_login_joined (self, self->gw2, 2, "bert", "general");
    s_send_verb (self->gw1, WIRE_WHO, 1);
    wire_msg_t *who = s_expect_reply (self->gw1, WIRE_WHO_LIST);
    assert_string_equal (who->room, "general");
    assert_int_equal (who->entry_count, 3);
    assert_string_equal (who->entries [0].name, "ALICE");
    assert_string_equal (who->entries [1].name, "bert");
    assert_string_equal (who->entries [2].name, "carol");
    assert_int_equal (who->entries [2].count, 0);
    wire_msg_destroy (&who);
}

//  A list request names a limit and the room list a filter; the reply
//  carries at most the limit (the biggest rooms, the first members by
//  name) and how many there were.
static void
s_send_list_request (zsock_t *gateway, wire_id_t id, uint64_t limit, const char *filter)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = 1;
    msg->limit = limit;
    if (id == WIRE_ROOMS)
        wire_msg_set_text (msg, filter);
    s_send (gateway, msg);
}

static void
test_lists_bounded (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    //  rust 3, rustacean 2, zig 2, general 1
    const char *rooms [] = { "general", "rust", "rust", "rust", "rustacean", "rustacean",
                             "zig", "zig" };
    const char *nicks [] = { "dave", "Carol", "alice", "bob", "erin", "frank", "gus", "hal" };
    for (size_t index = 0; index < 8; index++)
        s_login_quietly (self->gw1, index + 1, nicks [index], rooms [index]);

    s_send_list_request (self->gw1, WIRE_ROOMS, 2, "");
    wire_msg_t *list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->total, 4);
    assert_string_equal (list->text, "");
    assert_int_equal (list->entry_count, 2);
    assert_string_equal (list->entries [0].name, "rust");
    assert_int_equal (list->entries [0].count, 3);
    assert_string_equal (list->entries [1].name, "rustacean");   //  before zig: by name
    wire_msg_destroy (&list);

    //  Filter: canonical, a substring of the name
    s_send_list_request (self->gw1, WIRE_ROOMS, 0, "#RUST");
    list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->total, 2);
    assert_string_equal (list->text, "rust");
    assert_int_equal (list->entry_count, 2);
    wire_msg_destroy (&list);
    s_send_list_request (self->gw1, WIRE_ROOMS, 10, "ace");
    list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->total, 1);
    assert_string_equal (list->entries [0].name, "rustacean");
    wire_msg_destroy (&list);
    s_send_list_request (self->gw1, WIRE_ROOMS, 10, "nothing");
    list = s_expect_reply (self->gw1, WIRE_ROOM_LIST);
    assert_int_equal (list->total, 0);
    assert_int_equal (list->entry_count, 0);
    wire_msg_destroy (&list);
    s_send_list_request (self->gw1, WIRE_ROOMS, 10, "bad room");
    s_expect_error (self->gw1, 1,
                    "invalid room name: bad character (allowed: letters, digits, _ and -)");

    //  WHO: the first members by name, and how many there are
    s_send_list_request (self->gw1, WIRE_WHO, 2, NULL);
    wire_msg_t *who = s_expect_reply (self->gw1, WIRE_WHO_LIST);
    assert_string_equal (who->room, "general");
    assert_int_equal (who->total, 1);
    wire_msg_destroy (&who);
    wire_msg_t *msg = wire_msg_new (WIRE_WHO);
    msg->client = 2;
    msg->limit = 2;
    s_send (self->gw1, msg);
    who = s_expect_reply (self->gw1, WIRE_WHO_LIST);
    assert_string_equal (who->room, "rust");
    assert_int_equal (who->total, 3);
    assert_int_equal (who->entry_count, 2);
    assert_string_equal (who->entries [0].name, "alice");
    assert_string_equal (who->entries [1].name, "bob");
    wire_msg_destroy (&who);
}

static void
test_privmsg (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    s_login_quietly (self->gw1, 1, "alice", "general");
    s_login_quietly (self->gw2, 5, "Bob", "rust");

    s_send_text (self->gw1, WIRE_PRIVMSG, 1, "BOB", "psst");
    wire_msg_t *delivery = s_expect_reply (self->gw2, WIRE_PRIVATE);
    assert_int_equal (delivery->client, 5);
    assert_string_equal (delivery->nick, "alice");
    assert_string_equal (delivery->text, "psst");
    wire_msg_destroy (&delivery);
    wire_msg_t *receipt = s_expect_reply (self->gw1, WIRE_PRIVATE_SENT);
    assert_int_equal (receipt->client, 1);
    assert_string_equal (receipt->nick, "Bob");
    assert_string_equal (receipt->text, "psst");
    wire_msg_destroy (&receipt);

    s_send_text (self->gw1, WIRE_PRIVMSG, 1, "nobody", "hello?");
    s_expect_error (self->gw1, 1, "no such nickname: nobody");
}

static void
test_probe (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    s_hello (self->gw1, "gw1", "first", router_epoch (self->router));
    s_subscribe (self, self->gw1, "rust");
    //  An invalid room gets no PROBED, and rustacean is not rust
    wire_msg_t *probe = wire_msg_new (WIRE_PROBE);
    wire_msg_set_room (probe, "bad room");
    s_send (self->gw1, probe);
    probe = wire_msg_new (WIRE_PROBE);
    wire_msg_set_room (probe, "rustacean");
    s_send (self->gw1, probe);
    s_expect_quiet (self, self->gw1);

    probe = wire_msg_new (WIRE_PROBE);
    wire_msg_set_room (probe, "#Rust");
    probe->client = 42;
    s_send (self->gw1, probe);
    wire_msg_t *probed = s_expect_pub (self, WIRE_PROBED);
    assert_string_equal (probed->room, "rust");
    assert_string_equal (probed->gateway, "gw1");
    assert_int_equal (probed->client, 42);
    wire_msg_destroy (&probed);
}

static void
test_status_hostile_names (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    //  Line ends in a HELLO's name or id would forge lines in STATUS and in
    //  the log: such a HELLO is refused (no WELCOME), the gateway unknown
    s_send_hello (self->gw1, "gw1", "first\nrooms=99\rstate=draining");
    zsock_t *odd = s_new_gateway (self, "gw\n3");
    s_send_hello (odd, "gw\n3", "third");
    s_expect_quiet (self, self->gw1);
    s_expect_quiet (self, odd);
    s_hello (self->gw2, "gw2", "second", router_epoch (self->router));
    bool ok = false;
    char *body = s_control (self, "STATUS", &ok);
    assert_true (ok);
    char expected [1024];
    snprintf (expected, sizeof (expected),
              "state=running\nepoch=%" PRIu64 "\ngateways=1\nsessions=0\nrooms=0\n"
              TEST_STORE_STATUS_EMPTY
              "gateway id=gw2 name=second sessions=0\n",
              router_epoch (self->router));
    assert_string_equal (body, expected);
    zstr_free (&body);
    zsock_destroy (&odd);
}

//  An id belongs to the connection that registered it: another
//  connection claiming it (whatever its routing id, even the id itself)
//  gets HELLO_REFUSED, cannot speak for the id's sessions and receives
//  none of their replies; the owner keeps working.
static void
test_hello_takeover_refused (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    uint64_t epoch = router_epoch (self->router);
    s_hello (self->gw1, "gw1-real", "first", epoch);
    s_hello (self->gw2, "gw2", "second", epoch);
    s_subscribe (self, self->gw1, "general");
    s_login_joined (self, self->gw1, 1, "alice", "general");
    s_login_joined (self, self->gw2, 5, "bob", "general");

    zsock_t *impostor = s_new_gateway (self, "gw1-real");
    s_send_hello (impostor, "gw1-real", "evil");
    wire_msg_t *refused = s_expect_reply (impostor, WIRE_HELLO_REFUSED);
    assert_string_equal (refused->text, "gateway id in use");
    wire_msg_destroy (&refused);
    //  Its requests are a stranger's: RESYNC, nothing published or sent
    s_send_text (impostor, WIRE_SAY, 1, NULL, "forged");
    s_skip_reply (impostor, WIRE_RESYNC);
    s_send_text (impostor, WIRE_PRIVMSG, 1, "bob", "forged");
    s_expect_quiet (self, impostor);
    //  bob's private line to alice goes to the real gw1 only, and no
    //  forged one reached bob before his receipt
    s_send_text (self->gw2, WIRE_PRIVMSG, 5, "alice", "for alice");
    wire_msg_t *private = s_expect_reply (self->gw1, WIRE_PRIVATE);
    assert_string_equal (private->text, "for alice");
    wire_msg_destroy (&private);
    s_skip_reply (self->gw2, WIRE_PRIVATE_SENT);
    assert_null (s_recv (impostor, 0));
    //  A second try on the same connection is refused again
    s_send_hello (impostor, "gw1-real", "evil");
    s_skip_reply (impostor, WIRE_HELLO_REFUSED);

    //  The real gateway still speaks for alice
    s_send_text (self->gw1, WIRE_SAY, 1, NULL, "still me");
    wire_msg_t *chat = s_expect_pub (self, WIRE_CHAT);
    assert_string_equal (chat->gateway, "gw1-real");
    assert_string_equal (chat->nick, "alice");
    assert_string_equal (chat->text, "still me");
    wire_msg_destroy (&chat);

    //  The same connection may register again under a fresh id: its old
    //  registration and sessions go, and the old id is free for anyone
    s_hello (self->gw1, "gw1-fresh", "first", epoch);
    wire_msg_t *left = s_expect_pub (self, WIRE_LEFT);
    assert_string_equal (left->nick, "alice");
    wire_msg_destroy (&left);
    s_hello (impostor, "gw1-real", "evil", epoch);
    zsock_destroy (&impostor);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_hello_and_resync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hello_takeover_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_guest_and_chat, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_resync_and_invalid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_nick, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_privmsg, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lists_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_probe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_hostile_names, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

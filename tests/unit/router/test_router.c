/*  =========================================================================
    test_router.c - the whole router, in-process, driven over the wire

    Each test starts a router on tcp://127.0.0.1:* in a zactor and plays
    one or two gateways: a DEALER (routing id = gateway id) for requests
    and a SUB for published traffic. Every wait has a deadline; the only
    sleeps are the heartbeat loops that keep one gateway alive while
    another times out.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "wire.h"
#include "names.h"
#include "router.h"

#define TEST_WAIT_MS            2000    //  deadline for anything expected
#define TEST_QUIET_MS           200     //  how long "nothing arrives" is watched
#define TEST_PROBE_MS           50      //  PROBE retry interval
#define TEST_HEARTBEAT_MS       100     //  router BEAT interval in tests
#define TEST_KEEPALIVE_MS       100     //  how often the live gateway speaks
#define TEST_GATEWAY_TIMEOUT_S  1       //  router --gateway-timeout in tests
#define TEST_DRAIN_TIMEOUT_S    1       //  router --drain-timeout in tests
#define TEST_MS_PER_S           1000
#define TEST_DRAIN_MS           (TEST_DRAIN_TIMEOUT_S * TEST_MS_PER_S)

typedef struct {
    router_t *router;
    zactor_t *actor;
    zsock_t *gw1;           //  gateway "gw1" ingress DEALER
    zsock_t *gw2;           //  gateway "gw2" ingress DEALER
    zsock_t *sub;           //  SUB on the publish socket
    uint64_t token;         //  next PROBE token
} fixture_t;

static router_config_t s_config;

static zsock_t *
s_new_gateway (fixture_t *self, const char *id)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_identity (dealer, id);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", router_ingress_endpoint (self->router)), 0);
    return dealer;
}

static int
s_setup_with (void **state, const router_config_t *config)
{
    fixture_t *self = (fixture_t *) zmalloc (sizeof (fixture_t));
    assert_non_null (self);
    self->router = router_new (config);
    assert_non_null (self->router);
    self->actor = zactor_new (router_actor, self->router);
    assert_non_null (self->actor);
    self->gw1 = s_new_gateway (self, "gw1");
    self->gw2 = s_new_gateway (self, "gw2");
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_linger (self->sub, 0);
    assert_int_equal (zsock_connect (self->sub, "%s", router_publish_endpoint (self->router)), 0);
    self->token = 1;
    *state = self;
    return 0;
}

static void
s_test_config (router_config_t *config)
{
    router_config_defaults (config);
    config->ingress = "tcp://127.0.0.1:*";
    config->publish = "tcp://127.0.0.1:*";
    config->control = "tcp://127.0.0.1:*";
    config->heartbeat_ms = TEST_HEARTBEAT_MS;
    config->gateway_timeout_s = TEST_GATEWAY_TIMEOUT_S;
    config->drain_timeout_s = TEST_DRAIN_TIMEOUT_S;
}

static int
s_setup (void **state)
{
    s_test_config (&s_config);
    return s_setup_with (state, &s_config);
}

static int
s_setup_small (void **state)
{
    s_test_config (&s_config);
    s_config.max_rooms = 2;
    s_config.max_sessions = 3;
    return s_setup_with (state, &s_config);
}

//  Settings so large they mean "never": the timer arithmetic must not
//  overflow into "at once"
static int
s_setup_never (void **state)
{
    s_test_config (&s_config);
    s_config.heartbeat_ms = INT64_MAX;
    s_config.gateway_timeout_s = INT64_MAX;
    s_config.drain_timeout_s = INT64_MAX;
    return s_setup_with (state, &s_config);
}

static int
s_teardown (void **state)
{
    fixture_t *self = (fixture_t *) *state;
    zsock_destroy (&self->sub);
    zsock_destroy (&self->gw2);
    zsock_destroy (&self->gw1);
    zactor_destroy (&self->actor);
    router_destroy (&self->router);
    router_destroy (&self->router);     //  twice is harmless
    free (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Helpers

static void
s_send (zsock_t *gateway, wire_msg_t *msg)
{
    assert_int_equal (wire_msg_send (&msg, gateway, 0), 0);
}

static void
s_send_verb (zsock_t *gateway, wire_id_t id, uint64_t client)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = client;
    s_send (gateway, msg);
}

//  Next message on sock within timeout_ms, or NULL.
static wire_msg_t *
s_recv (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    wire_msg_t *msg = NULL;
    if (zpoller_wait (poller, timeout_ms) == sock)
        msg = wire_msg_recv (sock);
    zpoller_destroy (&poller);
    return msg;
}

//  Next reply on a gateway, which must have this id.
static wire_msg_t *
s_expect_reply (zsock_t *gateway, wire_id_t id)
{
    wire_msg_t *msg = s_recv (gateway, TEST_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (wire_id_name (msg->id), wire_id_name (id));
    return msg;
}

static void
s_expect_error (zsock_t *gateway, uint64_t client, const char *text)
{
    wire_msg_t *msg = s_expect_reply (gateway, WIRE_ERROR);
    assert_int_equal (msg->client, client);
    assert_string_equal (msg->text, text);
    wire_msg_destroy (&msg);
}

//  A refused JOIN is answered with JOIN_REFUSED naming the room asked for,
//  never ERROR, so the gateway cannot take another request's error for it.
static void
s_expect_join_refused (zsock_t *gateway, uint64_t client, const char *room, const char *text)
{
    wire_msg_t *msg = s_expect_reply (gateway, WIRE_JOIN_REFUSED);
    assert_int_equal (msg->client, client);
    assert_string_equal (msg->room, room);
    assert_string_equal (msg->text, text);
    wire_msg_destroy (&msg);
}

//  Next published message other than BEAT; must have this id.
static wire_msg_t *
s_expect_pub (fixture_t *self, wire_id_t id)
{
    int64_t deadline = zclock_mono () + TEST_WAIT_MS;
    while (zclock_mono () < deadline) {
        wire_msg_t *msg = s_recv (self->sub, (int) (deadline - zclock_mono ()));
        //  BEATs, and late answers to a repeated PROBE, are background
        if (msg && (msg->id == WIRE_BEAT || (msg->id == WIRE_PROBED && id != WIRE_PROBED))) {
            wire_msg_destroy (&msg);
            continue;
        }
        assert_non_null (msg);
        assert_string_equal (wire_id_name (msg->id), wire_id_name (id));
        return msg;
    }
    fail_msg ("no %s published", wire_id_name (id));
    return NULL;
}

//  Expect a published message and throw it away.
static void
s_skip_pub (fixture_t *self, wire_id_t id)
{
    wire_msg_t *msg = s_expect_pub (self, id);
    wire_msg_destroy (&msg);
}

//  Expect a reply and throw it away.
static void
s_skip_reply (zsock_t *gateway, wire_id_t id)
{
    wire_msg_t *msg = s_expect_reply (gateway, id);
    wire_msg_destroy (&msg);
}

//  Nothing but BEATs is published for TEST_QUIET_MS, and no reply comes.
static void
s_expect_quiet (fixture_t *self, zsock_t *gateway)
{
    int64_t deadline = zclock_mono () + TEST_QUIET_MS;
    while (zclock_mono () < deadline) {
        wire_msg_t *msg = s_recv (self->sub, (int) (deadline - zclock_mono ()));
        if (msg)
            assert_string_equal (wire_id_name (msg->id), "BEAT");
        wire_msg_destroy (&msg);
    }
    wire_msg_t *reply = s_recv (gateway, 0);
    if (reply)
        fail_msg ("unexpected reply %s", wire_id_name (reply->id));
}

//  Subscribe to a topic and wait until the router's PROBED proves it live.
static void
s_subscribe (fixture_t *self, zsock_t *gateway, const char *room)
{
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (room, topic);
    zsock_set_subscribe (self->sub, topic);
    uint64_t token = self->token++;
    int64_t deadline = zclock_mono () + TEST_WAIT_MS;
    if (streq (room, WIRE_TOPIC_CONTROL)) {
        //  No PROBE for the control topic: the next BEAT proves it
        wire_msg_t *beat = s_recv (self->sub, TEST_WAIT_MS);
        assert_non_null (beat);
        assert_string_equal (wire_id_name (beat->id), "BEAT");
        wire_msg_destroy (&beat);
        return;
    }
    while (zclock_mono () < deadline) {
        wire_msg_t *probe = wire_msg_new (WIRE_PROBE);
        wire_msg_set_room (probe, room);
        probe->client = token;
        s_send (gateway, probe);
        wire_msg_t *msg = s_recv (self->sub, TEST_PROBE_MS);
        bool done = msg && msg->id == WIRE_PROBED && msg->client == token;
        wire_msg_destroy (&msg);
        if (done)
            return;
    }
    fail_msg ("subscription to %s never confirmed", room);
}

static void
s_send_hello (zsock_t *gateway, const char *id, const char *name)
{
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (hello, id);
    wire_msg_set_text (hello, name);
    s_send (gateway, hello);
}

static void
s_hello (zsock_t *gateway, const char *id, const char *name, uint64_t epoch)
{
    s_send_hello (gateway, id, name);
    wire_msg_t *welcome = s_expect_reply (gateway, WIRE_WELCOME);
    assert_true (welcome->epoch == epoch);
    wire_msg_destroy (&welcome);
}

static void
s_send_login (zsock_t *gateway, uint64_t client, const char *nick, const char *room,
              const char *text)
{
    wire_msg_t *login = wire_msg_new (WIRE_LOGIN);
    login->client = client;
    wire_msg_set_nick (login, nick);
    wire_msg_set_room (login, room);
    wire_msg_set_text (login, text);
    s_send (gateway, login);
}

//  LOGIN and check LOGGED_IN; returns the nickname given (to free).
static char *
s_login (zsock_t *gateway, uint64_t client, const char *nick, const char *room,
         const char *text)
{
    s_send_login (gateway, client, nick, room, text);
    wire_msg_t *reply = s_expect_reply (gateway, WIRE_LOGGED_IN);
    assert_int_equal (reply->client, client);
    char canonical [CHAT_ROOM_MAX + 1];
    assert_int_equal (names_canonical_room (room, canonical), NAMES_OK);
    assert_string_equal (reply->room, canonical);
    char *given = strdup (reply->nick);
    wire_msg_destroy (&reply);
    return given;
}

//  LOGIN that must succeed; the nickname given is not needed.
static void
s_login_quietly (zsock_t *gateway, uint64_t client, const char *nick, const char *room)
{
    char *given = s_login (gateway, client, nick, room, "");
    zstr_free (&given);
}

//  LOGIN on a subscribed room and consume the JOINED.
static void
s_login_joined (fixture_t *self, zsock_t *gateway, uint64_t client, const char *nick,
                const char *room)
{
    char *given = s_login (gateway, client, nick, room, "");
    assert_string_equal (given, nick);
    wire_msg_t *joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->nick, nick);
    assert_string_equal (joined->room, room);
    wire_msg_destroy (&joined);
    zstr_free (&given);
}

static void
s_send_text (zsock_t *gateway, wire_id_t id, uint64_t client, const char *nick,
             const char *text)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = client;
    if (nick)
        wire_msg_set_nick (msg, nick);
    if (id == WIRE_JOIN)
        wire_msg_set_room (msg, text);
    else
        wire_msg_set_text (msg, text);
    s_send (gateway, msg);
}

//  Ask the control socket; returns the body (to free), status in *ok_p.
static char *
s_control (fixture_t *self, const char *verb, bool *ok_p)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", router_control_endpoint (self->router)), 0);
    zstr_send (dealer, verb);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    assert_true (zpoller_wait (poller, TEST_WAIT_MS) == dealer);
    char *status = NULL, *body = NULL;
    assert_int_equal (zstr_recvx (dealer, &status, &body, NULL), 2);
    *ok_p = streq (status, "OK");
    zstr_free (&status);
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    return body;
}

//  ---------------------------------------------------------------------
//  Tests

//  True if the router answers STATUS within TEST_QUIET_MS.
static bool
s_answers (fixture_t *self)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    zsock_connect (dealer, "%s", router_control_endpoint (self->router));
    zstr_send (dealer, "STATUS");
    zpoller_t *poller = zpoller_new (dealer, NULL);
    bool answered = zpoller_wait (poller, TEST_QUIET_MS) == dealer;
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    return answered;
}

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

    //  HELLO whose g differs from the routing id is ignored
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (hello, "someone-else");
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

    //  Recreated room starts numbering again
    s_send_text (self->gw1, WIRE_JOIN, 2, NULL, "rust");
    s_skip_pub (self, WIRE_LEFT);
    joined = s_expect_pub (self, WIRE_JOINED);
    assert_string_equal (joined->room, "rust");
    assert_true (joined->seq == 1);
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

//  A gateway's id and display name are its own bytes: one holding a line
//  end must not add lines of its own to the STATUS body.
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
              "gateway id=gw2 name=second sessions=0\n",
              router_epoch (self->router));
    assert_string_equal (body, expected);
    zstr_free (&body);
    zsock_destroy (&odd);
}

//  Huge --heartbeat-interval, --gateway-timeout and --drain-timeout are
//  "never", not an overflow: one BEAT at start and no busy loop of BEATs,
//  a quiet gateway stays registered, a drain waits for DRAINED.
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
        cmocka_unit_test_setup_teardown (test_hello_and_resync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_guest_and_chat, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_resync_and_invalid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_nick, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_privmsg, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_probe, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_gateway_timeout_and_bye, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_and_drain, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_drain_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_limits, s_setup_small, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_hostile_names, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_huge_timeouts, s_setup_never, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

/*  =========================================================================
    router_fixture.h - a router in-process, and gateways played over the wire

    Shared by the router's in-process test programs (test_router.c for
    requests, test_router_liveness.c for timeouts, drain and limits). Each
    test starts a router on tcp://127.0.0.1:* in a zactor and plays one or
    two gateways: a DEALER (routing id = gateway id) for requests and a SUB
    for published traffic. Every wait has a deadline. The helpers are
    static inline so a program that does not use one gets no warning.
    =========================================================================
*/
#ifndef ROUTER_FIXTURE_H_INCLUDED
#define ROUTER_FIXTURE_H_INCLUDED

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

static inline zsock_t *
s_new_gateway (fixture_t *self, const char *id)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_identity (dealer, id);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", router_ingress_endpoint (self->router)), 0);
    return dealer;
}

static inline int
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

static inline void
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

static inline int
s_setup (void **state)
{
    s_test_config (&s_config);
    return s_setup_with (state, &s_config);
}

static inline int
s_setup_small (void **state)
{
    s_test_config (&s_config);
    s_config.max_rooms = 2;
    s_config.max_sessions = 3;
    return s_setup_with (state, &s_config);
}

//  Settings so large they mean "never": the timer arithmetic must not
//  overflow into "at once"
static inline int
s_setup_never (void **state)
{
    s_test_config (&s_config);
    s_config.heartbeat_ms = INT64_MAX;
    s_config.gateway_timeout_s = INT64_MAX;
    s_config.drain_timeout_s = INT64_MAX;
    return s_setup_with (state, &s_config);
}

static inline int
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

static inline void
s_send (zsock_t *gateway, wire_msg_t *msg)
{
    assert_int_equal (wire_msg_send (&msg, gateway, 0), 0);
}

static inline void
s_send_verb (zsock_t *gateway, wire_id_t id, uint64_t client)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = client;
    s_send (gateway, msg);
}

//  Tests of history set this; the others never see the replay that
//  follows every JOIN and LOGIN (HISTORY_LINE/ACTION/END are skipped).
static bool s_keep_history;

//  The store lines of STATUS for a router that has no history yet
#define TEST_STORE_STATUS_EMPTY "store=memory\nhistory_records=0\nhistory_written=0\n" \
                                "history_pending=0\nhistory_write_errors=0\n"

static inline bool
s_is_history (wire_id_t id)
{
    return id == WIRE_HISTORY_LINE || id == WIRE_HISTORY_ACTION || id == WIRE_HISTORY_END;
}

//  Next message on sock within timeout_ms, or NULL.
static inline wire_msg_t *
s_recv (zsock_t *sock, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    wire_msg_t *msg = NULL;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!msg && zpoller_wait (poller, (int) (deadline - zclock_mono ())) == sock) {
        msg = wire_msg_recv (sock);
        if (msg && !s_keep_history && s_is_history (msg->id))
            wire_msg_destroy (&msg);
        if (zclock_mono () > deadline)
            break;
    }
    zpoller_destroy (&poller);
    return msg;
}

//  Next reply on a gateway, which must have this id.
static inline wire_msg_t *
s_expect_reply (zsock_t *gateway, wire_id_t id)
{
    wire_msg_t *msg = s_recv (gateway, TEST_WAIT_MS);
    assert_non_null (msg);
    assert_string_equal (wire_id_name (msg->id), wire_id_name (id));
    return msg;
}

static inline void
s_expect_error (zsock_t *gateway, uint64_t client, const char *text)
{
    wire_msg_t *msg = s_expect_reply (gateway, WIRE_ERROR);
    assert_int_equal (msg->client, client);
    assert_string_equal (msg->text, text);
    wire_msg_destroy (&msg);
}

//  A refused JOIN is answered with JOIN_REFUSED naming the room asked for,
//  never ERROR, so the gateway cannot take another request's error for it.
static inline void
s_expect_join_refused (zsock_t *gateway, uint64_t client, const char *room, const char *text)
{
    wire_msg_t *msg = s_expect_reply (gateway, WIRE_JOIN_REFUSED);
    assert_int_equal (msg->client, client);
    assert_string_equal (msg->room, room);
    assert_string_equal (msg->text, text);
    wire_msg_destroy (&msg);
}

//  Next published message other than BEAT; must have this id.
static inline wire_msg_t *
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
static inline void
s_skip_pub (fixture_t *self, wire_id_t id)
{
    wire_msg_t *msg = s_expect_pub (self, id);
    wire_msg_destroy (&msg);
}

//  Expect a reply and throw it away.
static inline void
s_skip_reply (zsock_t *gateway, wire_id_t id)
{
    wire_msg_t *msg = s_expect_reply (gateway, id);
    wire_msg_destroy (&msg);
}

//  Nothing but BEATs is published for TEST_QUIET_MS, and no reply comes.
static inline void
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
static inline void
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

static inline void
s_send_hello (zsock_t *gateway, const char *id, const char *name)
{
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (hello, id);
    wire_msg_set_text (hello, name);
    s_send (gateway, hello);
}

static inline void
s_hello (zsock_t *gateway, const char *id, const char *name, uint64_t epoch)
{
    s_send_hello (gateway, id, name);
    wire_msg_t *welcome = s_expect_reply (gateway, WIRE_WELCOME);
    assert_true (welcome->epoch == epoch);
    wire_msg_destroy (&welcome);
}

static inline void
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
static inline char *
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
static inline void
s_login_quietly (zsock_t *gateway, uint64_t client, const char *nick, const char *room)
{
    char *given = s_login (gateway, client, nick, room, "");
    zstr_free (&given);
}

//  LOGIN on a subscribed room and consume the JOINED.
static inline void
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

static inline void
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
static inline char *
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
//  True if the router answers STATUS within TEST_QUIET_MS.
static inline bool
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

#endif

/*  =========================================================================
    30_gateway_takeover.c - nobody speaks for a gateway by knowing its id

    A gateway's id is public: it is in every room event and in zchat-ctl
    status. An attacker here is a raw DEALER on the router's ingress that
    uses it, as routing id and in HELLO, and sends requests for the
    gateway's users. It must get nothing: no line goes out under their
    names, none of their private lines reach it, the router logs the
    refusal once, and the real gateway keeps serving.

    The other side: a gateway that the router refuses (its id squatted
    while it was away) or does not answer (a router that beats but never
    welcomes it) notices, logs it, and re-registers under a fresh id on a
    fresh uplink, with its clients logged in again.
    =========================================================================
*/
#include "harness_standin.h"
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAKEOVER_LINE       256
#define TAKEOVER_POLL_MS    100     //  attacker poll slice
#define TAKEOVER_RENEW_MS   15000   //  router timeout 1 s, restarts, reconnects
#define TAKEOVER_EPOCH      4242    //  the stand-in router's epoch
#define TAKEOVER_REFUSED    "router: hello refused id="

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  A raw DEALER on ingress with this routing id, as an attacker makes one.
static zsock_t *
s_dealer (const char *ingress, const char *routing_id)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_identity (dealer, routing_id);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", ingress), 0);
    return dealer;
}

static void
s_write (zsock_t *sock, wire_msg_t *msg)
{
    assert_int_equal (wire_msg_write (msg, zsock_resolve (sock), NULL, 0), 0);
    wire_msg_destroy (&msg);
}

static void
s_send_hello (zsock_t *dealer, const char *id)
{
    wire_msg_t *hello = wire_msg_new (WIRE_HELLO);
    wire_msg_set_gateway (hello, id);
    wire_msg_set_text (hello, "evil");
    s_write (dealer, hello);
}

//  SAY as client, and PRIVMSG from client to nick.
static void
s_send_forgeries (zsock_t *dealer, uint64_t client, const char *nick)
{
    wire_msg_t *say = wire_msg_new (WIRE_SAY);
    say->client = client;
    wire_msg_set_text (say, "forged line");
    s_write (dealer, say);
    wire_msg_t *privmsg = wire_msg_new (WIRE_PRIVMSG);
    privmsg->client = client;
    wire_msg_set_nick (privmsg, nick);
    wire_msg_set_text (privmsg, "forged private line");
    s_write (dealer, privmsg);
}

//  Next message on sock within timeout_ms, or NULL.
static wire_msg_t *
s_read (zsock_t *sock, int timeout_ms)
{
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    return wire_msg_read (zsock_resolve (sock), NULL, ZMQ_DONTWAIT);
}

//  What the attacker received, by verb
typedef struct {
    int counts [WIRE_ID_COUNT];
} takeover_seen_t;

//  Read the attacker's replies until one with id arrives (true) or the
//  deadline passes; count every verb.
static bool
s_await (zsock_t *dealer, wire_id_t id, takeover_seen_t *seen)
{
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (harness_now () < deadline) {
        wire_msg_t *msg = s_read (dealer, TAKEOVER_POLL_MS);
        if (!msg)
            continue;
        wire_id_t got = msg->id;
        seen->counts [got]++;
        wire_msg_destroy (&msg);
        if (got == id)
            return true;
    }
    return false;
}

//  The attacker learns the victim's client id the way anyone can: from
//  the room's published traffic. victim speaks until a CHAT of theirs
//  shows up on a SUB of the attacker's; returns its client id.
static uint64_t
s_learn_client (const char *publish, harness_client_t *victim, const char *room,
                const char *gateway_id)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert_non_null (sub);
    zsock_set_linger (sub, 0);
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (room, topic);
    zsock_set_subscribe (sub, topic);
    assert_int_equal (zsock_connect (sub, "%s", publish), 0);
    uint64_t client = 0;
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (!client && harness_now () < deadline) {
        assert_int_equal (harness_send (victim, "ping"), 0);
        wire_msg_t *msg;
        while (!client && (msg = s_read (sub, TAKEOVER_POLL_MS))) {
            if (msg->id == WIRE_CHAT && streq (msg->nick, harness_client_nick (victim))) {
                assert_string_equal (msg->gateway, gateway_id);
                client = msg->client;
            }
            wire_msg_destroy (&msg);
        }
    }
    zsock_destroy (&sub);
    assert_true (client != 0);
    return client;
}

//  The attacker uses gw1's public id as its routing id and in HELLO, and
//  sends SAY and PRIVMSG for alice. None of it works, and gw1 serves on.
static void
test_impostor_gets_nothing (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateways [2];
    harness_proc_t *router = harness_start_system (harness, s_router_flags, gateways, 2,
                                                   s_gateway_flags);
    assert_non_null (router);
    harness_client_t *alice = harness_login (harness, gateways [0]);
    harness_client_t *bob = harness_login (harness, gateways [0]);
    harness_client_t *dave = harness_login (harness, gateways [1]);
    assert_non_null (alice);
    assert_non_null (bob);
    assert_non_null (dave);
    assert_true (harness_set_nick (alice, "alice"));
    assert_true (harness_set_nick (bob, "bob"));
    assert_true (harness_set_nick (dave, "dave"));
    assert_true (harness_join (alice, "rust"));
    assert_true (harness_join (bob, "rust"));
    const char *victim_id = harness_gateway_id (gateways [0]);
    uint64_t client = s_learn_client (harness_router_publish (router), alice, "rust",
                                      victim_id);

    zsock_t *attacker = s_dealer (harness_router_ingress (router), victim_id);
    takeover_seen_t seen = { { 0 } };
    s_send_forgeries (attacker, client, "dave");
    s_send_hello (attacker, victim_id);
    //  The answer to its HELLO proves the router has handled all it sent
    assert_true (s_await (attacker, WIRE_HELLO_REFUSED, &seen));
    s_send_forgeries (attacker, client, "dave");
    s_send_hello (attacker, victim_id);
    assert_true (s_await (attacker, WIRE_HELLO_REFUSED, &seen));

    //  alice's private lines still reach alice, and her room hears no
    //  forged line before her own marker
    assert_int_equal (harness_send (dave, "/msg alice secret"), 0);
    assert_non_null (harness_expect (alice, "[pm from dave] secret", HARNESS_TIMEOUT_MS));
    assert_non_null (harness_expect (dave, "[pm to alice] secret", HARNESS_TIMEOUT_MS));
    harness_client_t *receivers [] = { bob };
    assert_true (harness_marker (alice, "rust", receivers, 1));
    assert_int_equal (harness_received_count (bob, "forged"), 0);
    assert_int_equal (harness_received_count (dave, "forged"), 0);

    //  The attacker got refusals (and RESYNC for its requests), nothing else
    wire_msg_t *late;
    while ((late = s_read (attacker, TAKEOVER_POLL_MS))) {
        seen.counts [late->id]++;
        wire_msg_destroy (&late);
    }
    for (int id = WIRE_INVALID; id < WIRE_ID_COUNT; id++)
        if (id != WIRE_HELLO_REFUSED && id != WIRE_RESYNC && seen.counts [id])
            fail_msg ("the impostor received %d %s", seen.counts [id],
                      wire_id_name ((wire_id_t) id));
    assert_int_equal (harness_proc_log_count (router, TAKEOVER_REFUSED), 1);
    zsock_destroy (&attacker);

    //  The real gateway serves on: a newcomer is welcomed, chat flows
    harness_client_t *carol = harness_login (harness, gateways [0]);
    assert_non_null (carol);
    assert_int_equal (harness_send (alice, "still here"), 0);
    assert_non_null (harness_expect (bob, "[rust] alice: still here", HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "sessions", 4, HARNESS_TIMEOUT_MS));
    assert_true (harness_wait_status (harness, router, "gateways", 2, HARNESS_TIMEOUT_MS));
}

//  STATUS has a line for a gateway named name, with sessions sessions,
//  under an id other than old_id.
static bool
s_renewed_in_status (harness_t *harness, harness_proc_t *router, const char *old_id,
                     int sessions)
{
    char wanted [TAKEOVER_LINE], old [TAKEOVER_LINE];
    snprintf (wanted, sizeof wanted, " name=gw1 sessions=%d\n", sessions);
    snprintf (old, sizeof old, "gateway id=%s name=", old_id);
    int64_t deadline = harness_now () + TAKEOVER_RENEW_MS;
    while (harness_now () < deadline) {
        char *body = harness_ctl (harness, router, "status", NULL);
        bool found = body && strstr (body, wanted) && !strstr (body, old);
        free (body);
        if (found)
            return true;
    }
    return false;
}

//  Both clients of gw1 chat again, and a newcomer is welcomed.
static void
s_check_serving (harness_t *harness, harness_proc_t *gateway, harness_client_t *alice,
                 harness_client_t *bob, const char *text)
{
    assert_int_equal (harness_send (alice, "%s", text), 0);
    char line [TAKEOVER_LINE];
    snprintf (line, sizeof line, "[general] alice: %s", text);
    if (!harness_expect (bob, line, TAKEOVER_RENEW_MS))
        harness_proc_dump (gateway);
    assert_int_equal (harness_received_count (bob, line), 1);
    assert_non_null (harness_login (harness, gateway));
}

//  A router on fixed endpoints (to restart it in place), gateway gw1, and
//  alice and bob logged in on it.
typedef struct {
    harness_endpoints_t at;
    harness_proc_t *router;
    harness_proc_t *gateway;
    harness_client_t *alice;
    harness_client_t *bob;
} takeover_pair_t;

static void
s_start_pair (harness_t *harness, takeover_pair_t *pair)
{
    harness_free_endpoints (&pair->at);
    pair->router = harness_router_start_at (harness, pair->at.ingress, pair->at.publish,
                                            pair->at.control, s_router_flags);
    assert_non_null (pair->router);
    pair->gateway = harness_gateway_start (harness, pair->router, "gw1", s_gateway_flags);
    assert_non_null (pair->gateway);
    pair->alice = harness_login (harness, pair->gateway);
    pair->bob = harness_login (harness, pair->gateway);
    assert_non_null (pair->alice);
    assert_non_null (pair->bob);
    assert_true (harness_set_nick (pair->alice, "alice"));
    assert_true (harness_set_nick (pair->bob, "bob"));
}

//  While gw1 is stopped the router restarts and someone registers gw1's
//  id first. gw1's HELLO is refused: it takes a fresh id and its users
//  are back, chatting.
static void
test_displaced_gateway_renews (void **state)
{
    harness_t *harness = *state;
    takeover_pair_t pair;
    s_start_pair (harness, &pair);
    harness_endpoints_t at = pair.at;
    harness_proc_t *router = pair.router, *gateway = pair.gateway;
    const char *old_id = harness_gateway_id (gateway);

    harness_proc_signal (gateway, SIGSTOP);
    harness_proc_kill (router);
    router = harness_router_start_at (harness, at.ingress, at.publish, at.control,
                                      s_router_flags);
    assert_non_null (router);
    zsock_t *squatter = s_dealer (at.ingress, "squatter");
    takeover_seen_t seen = { { 0 } };
    s_send_hello (squatter, old_id);
    bool squatted = s_await (squatter, WIRE_WELCOME, &seen);
    harness_proc_signal (gateway, SIGCONT);
    assert_true (squatted);

    assert_true (harness_proc_wait_log (gateway, "reason=hello-refused", TAKEOVER_RENEW_MS));
    assert_true (s_renewed_in_status (harness, router, old_id, 2));
    s_check_serving (harness, gateway, pair.alice, pair.bob, "back under a new id");
    assert_int_equal (harness_proc_log_count (gateway, "re-registering under a fresh id"), 1);
    assert_int_equal (harness_proc_log_count (router, TAKEOVER_REFUSED), 1);
    zsock_destroy (&squatter);
}

//  What the stand-in router has seen of gw1's HELLOs
typedef struct {
    const char *old_id;                     //  gw1's id before
    char first_route [WIRE_GATEWAY_MAX + 1];    //  its first HELLO's routing id
} takeover_hellos_t;

//  Stop once a HELLO comes under another id than gw1's first, from
//  another routing id (a fresh uplink).
static bool
s_on_hello (void *arg, const char *route, const wire_msg_t *msg)
{
    takeover_hellos_t *hellos = (takeover_hellos_t *) arg;
    if (msg->id != WIRE_HELLO)
        return false;
    if (!*hellos->first_route) {
        assert_string_equal (msg->gateway, hellos->old_id);
        snprintf (hellos->first_route, sizeof hellos->first_route, "%s", route);
        return false;
    }
    if (streq (msg->gateway, hellos->old_id))
        return false;
    assert_memory_equal (msg->gateway, "gw1-", strlen ("gw1-"));
    assert_string_not_equal (route, hellos->first_route);
    return true;
}

//  A router that beats but never answers gw1's HELLO: gw1 logs it and
//  says HELLO under a fresh id on a fresh uplink. With a real router
//  back, its users chat again.
static void
test_unheard_gateway_renews (void **state)
{
    harness_t *harness = *state;
    takeover_pair_t pair;
    s_start_pair (harness, &pair);
    harness_endpoints_t at = pair.at;
    harness_proc_t *router = pair.router, *gateway = pair.gateway;
    const char *old_id = harness_gateway_id (gateway);

    harness_proc_kill (router);
    takeover_hellos_t hellos = { old_id, "" };
    assert_true (harness_standin (at.ingress, at.publish, TAKEOVER_EPOCH, TAKEOVER_POLL_MS,
                                  TAKEOVER_RENEW_MS, s_on_hello, &hellos));
    assert_true (harness_proc_wait_log (gateway, "reason=hello-unanswered", HARNESS_TIMEOUT_MS));

    router = harness_router_start_at (harness, at.ingress, at.publish, at.control,
                                      s_router_flags);
    assert_non_null (router);
    assert_true (s_renewed_in_status (harness, router, old_id, 2));
    s_check_serving (harness, gateway, pair.alice, pair.bob, "heard again");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_impostor_gets_nothing, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_displaced_gateway_renews, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_unheard_gateway_renews, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

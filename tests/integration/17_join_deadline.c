/*  =========================================================================
    17_join_deadline.c - an unanswered PROBE, a join that cannot complete

    A stand-in router (a thread here: ROUTER + XPUB, so it sees every
    subscription change) answers HELLO, LOGIN and every PROBE except
    those for #rust. A client joins #rust and types a line behind it:
    - the gateway, its PROBEs unanswered, must subscribe to #rust afresh
      (unsubscribe, subscribe), not only probe again: ZeroMQ may have
      lost the subscription itself;
    - past --join-timeout the join is given up with
      "! join to #rust timed out, try again", the client is still in
      #general, and the line it typed behind the join goes up;
    - /quit typed behind a join that hangs is acted on at once: "* Bye!"
      comes before that join's own time-out line would.
    =========================================================================
*/
#include "harness.h"
#include "wire.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEADLINE_EPOCH      77          //  the stand-in's epoch
#define DEADLINE_BEAT_MS    100         //  it beats this often
#define DEADLINE_WAIT_MS    15000       //  resubscribe / time-out / held line, generous
#define DEADLINE_POLL_MS    20
#define DEADLINE_TEXT       256
#define DEADLINE_ROOM       "rust"      //  the room whose PROBEs go unanswered
#define DEADLINE_TIMED_OUT  "! join to #rust timed out, try again"
#define DEADLINE_HELD_LINE  "typed behind the join"

static const char *s_gateway_flags [] = {
    "--join-timeout", "3", "--heartbeat-interval", "200", "--router-timeout", "5", NULL
};

//  What the stand-in saw, for the test thread (STATS).
typedef struct {
    int subscribes;                 //  subscribe messages for DEADLINE_ROOM
    int unsubscribes;               //  unsubscribe messages for it
    int probes;                     //  PROBEs for it
    char said [DEADLINE_TEXT];      //  text of the last SAY
} standin_stats_t;

typedef struct {
    zsock_t *router;
    zsock_t *xpub;
    char gateway [WIRE_GATEWAY_MAX + 1];
    uint64_t seq;
    standin_stats_t stats;
} standin_t;

static void
s_publish (standin_t *self, wire_msg_t **msg_p)
{
    assert_int_equal (wire_msg_write (*msg_p, zsock_resolve (self->xpub), NULL, 0), 0);
    wire_msg_destroy (msg_p);
}

static void
s_reply (standin_t *self, const char *routing_id, wire_msg_t **msg_p)
{
    assert_int_equal (wire_msg_send_to (msg_p, zsock_resolve (self->router), routing_id, 0), 0);
}

static void
s_on_request (standin_t *self)
{
    char routing_id [WIRE_GATEWAY_MAX + 1];
    wire_msg_t *msg = wire_msg_read (zsock_resolve (self->router), routing_id, ZMQ_DONTWAIT);
    if (!msg)
        return;
    if (msg->id == WIRE_HELLO) {
        //  The gateway's id is its HELLO's; replies go to the route
        snprintf (self->gateway, sizeof self->gateway, "%s", msg->gateway);
        wire_msg_t *reply = wire_msg_new (WIRE_WELCOME);
        reply->epoch = DEADLINE_EPOCH;
        s_reply (self, routing_id, &reply);
    }
    else
    if (msg->id == WIRE_LOGIN) {
        wire_msg_t *reply = wire_msg_new (WIRE_LOGGED_IN);
        reply->client = msg->client;
        wire_msg_set_nick (reply, "alice");
        wire_msg_set_room (reply, CHAT_DEFAULT_ROOM);
        s_reply (self, routing_id, &reply);
        wire_msg_t *joined = wire_msg_new (WIRE_JOINED);
        wire_msg_set_room (joined, CHAT_DEFAULT_ROOM);
        joined->seq = ++self->seq;
        wire_msg_set_gateway (joined, self->gateway);
        joined->client = msg->client;
        wire_msg_set_nick (joined, "alice");
        s_publish (self, &joined);
    }
    else
    if (msg->id == WIRE_PROBE) {
        if (streq (msg->room, DEADLINE_ROOM))
            self->stats.probes++;
        else {
            wire_msg_t *probed = wire_msg_new (WIRE_PROBED);
            wire_msg_set_room (probed, msg->room);
            wire_msg_set_gateway (probed, self->gateway);
            probed->client = msg->client;
            s_publish (self, &probed);
        }
    }
    else
    if (msg->id == WIRE_SAY)
        snprintf (self->stats.said, sizeof self->stats.said, "%s", msg->text);
    wire_msg_destroy (&msg);
}

//  A subscription message on the XPUB: 1 or 0, then the topic.
static void
s_on_subscription (standin_t *self)
{
    zframe_t *frame = zframe_recv (self->xpub);
    if (!frame)
        return;
    char topic [WIRE_TOPIC_MAX + 1];
    wire_topic (DEADLINE_ROOM, topic);
    size_t size = zframe_size (frame);
    const byte *data = zframe_data (frame);
    if (size == strlen (topic) + 1 && memcmp (data + 1, topic, size - 1) == 0) {
        if (data [0] == 1)
            self->stats.subscribes++;
        else
            self->stats.unsubscribes++;
    }
    zframe_destroy (&frame);
}

//  The stand-in router's thread: binds, reports its endpoints, serves.
static void
s_standin_actor (zsock_t *pipe, void *args)
{
    (void) args;
    standin_t self = { 0 };
    self.router = zsock_new (ZMQ_ROUTER);
    self.xpub = zsock_new (ZMQ_XPUB);
    assert_non_null (self.router);
    assert_non_null (self.xpub);
    assert_int_not_equal (zsock_bind (self.router, "tcp://127.0.0.1:*"), -1);
    assert_int_not_equal (zsock_bind (self.xpub, "tcp://127.0.0.1:*"), -1);
    char *ingress = zsock_last_endpoint (self.router);
    char *publish = zsock_last_endpoint (self.xpub);
    zsock_signal (pipe, 0);
    zstr_sendx (pipe, ingress, publish, NULL);
    zstr_free (&ingress);
    zstr_free (&publish);
    zpoller_t *poller = zpoller_new (pipe, self.router, self.xpub, NULL);
    int64_t next_beat = zclock_mono ();
    bool done = false;
    while (!done) {
        if (zclock_mono () >= next_beat) {
            wire_msg_t *beat = wire_msg_new (WIRE_BEAT);
            beat->epoch = DEADLINE_EPOCH;
            s_publish (&self, &beat);
            next_beat = zclock_mono () + DEADLINE_BEAT_MS;
        }
        void *which = zpoller_wait (poller, DEADLINE_BEAT_MS);
        if (which == self.router)
            s_on_request (&self);
        else
        if (which == self.xpub)
            s_on_subscription (&self);
        else
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            if (!command || streq (command, "$TERM"))
                done = true;
            else
                zsock_send (pipe, "b", &self.stats, sizeof self.stats);
            zstr_free (&command);
        }
        else
        if (zpoller_terminated (poller))
            done = true;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&self.router);
    zsock_destroy (&self.xpub);
}

static standin_stats_t
s_stats (zactor_t *standin)
{
    standin_stats_t stats;
    zstr_send (standin, "STATS");
    byte *data;
    size_t size;
    assert_int_equal (zsock_recv (standin, "b", &data, &size), 0);
    assert_int_equal (size, sizeof stats);
    memcpy (&stats, data, sizeof stats);
    free (data);
    return stats;
}

//  Poll the stand-in until the gateway has subscribed to the room afresh
//  (an unsubscribe and a second subscribe), or the deadline.
static bool
s_wait_resubscribed (zactor_t *standin)
{
    int64_t deadline = harness_now () + DEADLINE_WAIT_MS;
    while (harness_now () < deadline) {
        standin_stats_t stats = s_stats (standin);
        if (stats.unsubscribes >= 1 && stats.subscribes >= 2)
            return true;
        zclock_sleep (DEADLINE_POLL_MS);
    }
    standin_stats_t stats = s_stats (standin);
    fprintf (stderr, "join deadline: #%s subscribed %d, unsubscribed %d, probed %d times\n",
             DEADLINE_ROOM, stats.subscribes, stats.unsubscribes, stats.probes);
    return false;
}

static bool
s_wait_said (zactor_t *standin, const char *text)
{
    int64_t deadline = harness_now () + DEADLINE_WAIT_MS;
    while (harness_now () < deadline) {
        if (streq (s_stats (standin).said, text))
            return true;
        zclock_sleep (DEADLINE_POLL_MS);
    }
    return false;
}

static void
test_join_deadline (void **state)
{
    harness_t *harness = *state;
    zactor_t *standin = zactor_new (s_standin_actor, NULL);
    assert_non_null (standin);
    char *ingress, *publish;
    assert_int_equal (zstr_recvx (standin, &ingress, &publish, NULL), 2);
    harness_proc_t *gateway = harness_gateway_start_at (harness, ingress, publish, "gw1",
                                                        s_gateway_flags);
    zstr_free (&ingress);
    zstr_free (&publish);
    assert_non_null (gateway);
    harness_client_t *alice = harness_login (harness, gateway);
    assert_non_null (alice);

    assert_int_equal (harness_send (alice, "/join " DEADLINE_ROOM), 0);
    assert_int_equal (harness_send (alice, DEADLINE_HELD_LINE), 0);
    assert_true (s_wait_resubscribed (standin));
    assert_non_null (harness_expect (alice, DEADLINE_TIMED_OUT, DEADLINE_WAIT_MS));
    assert_true (s_wait_said (standin, DEADLINE_HELD_LINE));

    //  /quit behind a join that hangs does not wait for it
    harness_clear (alice);
    assert_int_equal (harness_send (alice, "/join " DEADLINE_ROOM), 0);
    assert_int_equal (harness_send (alice, "/quit"), 0);
    assert_non_null (harness_expect (alice, "* Bye!", DEADLINE_WAIT_MS));
    assert_int_equal (harness_read_to_end (alice, DEADLINE_WAIT_MS), HARNESS_EOF);
    assert_int_equal (harness_received_count (alice, DEADLINE_TIMED_OUT), 1);
    zactor_destroy (&standin);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_join_deadline, harness_setup, harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

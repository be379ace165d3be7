/*  =========================================================================
    test_session.c - the per-session state machine, against real parts

    The session is driven with its real collaborators: a loop, a client
    over a socketpair (the test reads the peer end), a relay whose DEALER
    talks to a ROUTER the test binds on inproc, and a subs set whose
    subscribe events the test records. So each test checks the exact
    frames that go up and the exact bytes the user sees.
    =========================================================================
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include "session.h"

#define TEST_ENDPOINT_MAX   64
#define TEST_GATEWAY        "gw-test"
#define TEST_TIMEOUT_MS     1000
#define TEST_DEADLINE_MS    5           //  --join-timeout in the deadline tests
#define TEST_BUFFER         8192
#define TEST_FILL_MAX       1000000     //  requests to fill an inproc uplink (bound)
#define TEST_FILLER_CLIENT  999999      //  client id of the filler requests

typedef struct {
    loop_t *loop;
    zsock_t *router;            //  plays the router's ingress
    zsock_t *pub;               //  plays the router's PUB (unused, keeps SUB happy)
    relay_t *relay;
    subs_t *subs;
    format_t *format;
    session_ctx_t ctx;
    client_set_t *clients;
    client_t *client;
    int peer;                   //  the user's end of the socketpair
    session_t *session;
    int subscribed;             //  subscribe events seen
    int unsubscribed;
    int lines;                  //  on_line calls
    int line_result;            //  what the last on_line returned
} fixture_t;

static void
s_subscribe (void *owner, subs_room_t *room)
{
    (void) room;
    ((fixture_t *) owner)->subscribed++;
}

static void
s_unsubscribe (void *owner, const char *room)
{
    (void) room;
    ((fixture_t *) owner)->unsubscribed++;
}

static void
s_on_reply (void *owner, wire_msg_t **msg_p)
{
    (void) owner;
    wire_msg_destroy (msg_p);
}

static int
s_on_line (void *owner, client_t *client, const char *line, size_t size)
{
    (void) client;
    fixture_t *fixture = (fixture_t *) owner;
    fixture->lines++;
    fixture->line_result = fixture->session?
        session_on_line (fixture->session, line, size): 0;
    return fixture->line_result;
}

static void
s_on_closed (void *owner, client_t *client, client_close_reason_t reason)
{
    fixture_t *fixture = (fixture_t *) owner;
    (void) client;
    if (fixture->session)
        session_destroy (&fixture->session, client_close_reason_text (reason));
}

static int
s_stop (loop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    (void) arg;
    loop_stop (loop);
    return -1;
}

//  Run the loop for one pass (reads input, flushes output, reaps).
static void
s_pass (fixture_t *fixture)
{
    loop_timer_add (fixture->loop, 0, false, s_stop, NULL);
    loop_run (fixture->loop);
}

//  Next request the router got, or NULL.
static wire_msg_t *
s_uplink (fixture_t *fixture)
{
    char *routing_id = NULL;
    wire_msg_t *msg = wire_msg_recv_from (zsock_resolve (fixture->router), &routing_id);
    if (msg)
        assert_string_equal (routing_id, TEST_GATEWAY);
    zstr_free (&routing_id);
    return msg;
}

//  Assert the next request has this verb; returns it for more checks.
static wire_msg_t *
s_expect_uplink (fixture_t *fixture, wire_id_t id)
{
    wire_msg_t *msg = s_uplink (fixture);
    assert_non_null (msg);
    assert_string_equal (wire_id_name (msg->id), wire_id_name (id));
    return msg;
}

//  Nothing else went up.
static void
s_expect_quiet (fixture_t *fixture)
{
    assert_false (zsock_events (fixture->router) & ZMQ_POLLIN);
}

//  Read what the user got so far (after a pass) into buffer.
static const char *
s_user_reads (fixture_t *fixture, char *buffer)
{
    s_pass (fixture);
    ssize_t size = recv (fixture->peer, buffer, TEST_BUFFER - 1, MSG_DONTWAIT);
    buffer [size > 0? size: 0] = 0;
    return buffer;
}

static void
s_user_types (fixture_t *fixture, const char *line)
{
    ssize_t size = send (fixture->peer, line, strlen (line), 0);
    assert_int_equal (size, (ssize_t) strlen (line));
    s_pass (fixture);
}

//  Make a room live as a PROBED would, and start its waiters.
static void
s_room_live (fixture_t *fixture, const char *name)
{
    subs_room_t *room = subs_lookup (fixture->subs, name);
    assert_non_null (room);
    assert_true (subs_probed (fixture->subs, name, subs_room_token (room)));
    size_t count;
    uint64_t *waiters = subs_room_take_waiters (room, &count);
    for (size_t index = 0; index < count; index++)
        if (fixture->session && waiters [index] == session_id (fixture->session))
            session_room_live (fixture->session, room);
    free (waiters);
}

static void
s_reply (fixture_t *fixture, wire_id_t id, const char *nick, const char *room, const char *text)
{
    wire_msg_t *msg = wire_msg_new (id);
    msg->client = session_id (fixture->session);
    if (nick)
        wire_msg_set_nick (msg, nick);
    if (room)
        wire_msg_set_room (msg, room);
    if (text)
        wire_msg_set_text (msg, text);
    session_on_reply (fixture->session, msg);
    wire_msg_destroy (&msg);
}

static int
s_setup (void **state)
{
    fixture_t *fixture = (fixture_t *) zmalloc (sizeof (fixture_t));
    fixture->loop = loop_new ();
    //  Fresh endpoints per test: inproc names are released asynchronously
    static int test_number = 0;
    char ingress [TEST_ENDPOINT_MAX], publish [TEST_ENDPOINT_MAX];
    test_number++;
    snprintf (ingress, sizeof (ingress), "inproc://test-session-ingress-%d", test_number);
    snprintf (publish, sizeof (publish), "inproc://test-session-publish-%d", test_number);
    fixture->router = zsock_new_router (NULL);
    fixture->pub = zsock_new_pub (NULL);
    assert_int_equal (zsock_bind (fixture->router, "%s", ingress), 0);
    assert_int_equal (zsock_bind (fixture->pub, "%s", publish), 0);
    zsock_set_rcvtimeo (fixture->router, TEST_TIMEOUT_MS);
    relay_config_t config = {
        .ingress = ingress, .publish = publish, .identity = TEST_GATEWAY,
        .uplink_hwm = 100, .sub_hwm = 100, .linger_ms = 0, .retry_ms = 1000
    };
    relay_events_t relay_events = { s_on_reply, s_on_reply, NULL };
    fixture->relay = relay_new (fixture->loop, &config, &relay_events, fixture);
    subs_events_t subs_events = { s_subscribe, s_unsubscribe };
    fixture->subs = subs_new (&subs_events, fixture);
    fixture->format = format_new ();
    fixture->ctx.relay = fixture->relay;
    fixture->ctx.subs = fixture->subs;
    fixture->ctx.format = fixture->format;
    fixture->ctx.list_max = 50;
    fixture->ctx.slab = session_slab_new ();
    assert_non_null (fixture->ctx.slab);
    client_limits_t limits = { .max_line = 2048, .outbuf_max = 65536, .linger_ms = 100 };
    client_events_t client_events = { s_on_line, s_on_closed, NULL, NULL, NULL };
    fixture->clients = client_set_new (fixture->loop, &limits, &client_events, fixture);
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    fixture->peer = pair [0];
    fixture->client = client_set_accept (fixture->clients, pair [1]);
    assert_non_null (fixture->client);
    fixture->session = session_new (&fixture->ctx, fixture->client);
    assert_non_null (fixture->session);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    client_set_destroy (&fixture->clients);
    session_destroy (&fixture->session, "test");    //  NULL-safe if already gone
    assert_null (fixture->session);
    slab_destroy (&fixture->ctx.slab);
    subs_destroy (&fixture->subs);
    relay_destroy (&fixture->relay);
    format_destroy (&fixture->format);
    zsock_destroy (&fixture->router);
    zsock_destroy (&fixture->pub);
    loop_destroy (&fixture->loop);
    close (fixture->peer);
    free (fixture);
    return 0;
}

//  The router's (empty) replay after the session's JOIN or LOGIN is out:
//  live lines and input flow again.
static void
s_replay_end (fixture_t *fixture, const char *room)
{
    s_reply (fixture, WIRE_HISTORY_END, NULL, room, "join");
}

//  Log the fixture's session in as nick, in #general.
static void
s_log_in (fixture_t *fixture, const char *nick)
{
    s_room_live (fixture, "general");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    wire_msg_destroy (&msg);
    s_reply (fixture, WIRE_LOGGED_IN, nick, "general", NULL);
    s_replay_end (fixture, "general");
    char buffer [TEST_BUFFER];
    s_user_reads (fixture, buffer);
}

static void
test_login_waits_for_live_room (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    assert_int_equal (fixture->subscribed, 1);
    assert_int_equal (session_state (fixture->session), SESSION_WAITING);
    //  Typed before the login: held, nothing goes up
    s_user_types (fixture, "early bird\n");
    s_expect_quiet (fixture);

    s_room_live (fixture, "general");
    assert_int_equal (session_state (fixture->session), SESSION_LOGGING_IN);
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    assert_int_equal (msg->client, session_id (fixture->session));
    assert_string_equal (msg->nick, "");
    assert_string_equal (msg->room, "general");
    assert_string_equal (msg->text, "");
    wire_msg_destroy (&msg);
    s_expect_quiet (fixture);

    s_reply (fixture, WIRE_LOGGED_IN, "guest-1", "general", NULL);
    s_replay_end (fixture, "general");
    assert_int_equal (session_state (fixture->session), SESSION_CHATTING);
    assert_string_equal (session_nick (fixture->session), "guest-1");
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
        "* Welcome to zchat, guest-1! You are in #general.\r\n"
        "* Commands: /join <room>, /nick <name>, /rooms, /who, /msg <nick> <text>, "
        "/me <action>, /help, /quit\r\n");
    //  The held line went up after the login, not lost
    msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "early bird");
    wire_msg_destroy (&msg);
}

static void
test_lines_become_requests (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_user_types (fixture, "hello\n/ME waves\n//etc\n/msg bob hi there\n/nick Al\n/who\n/rooms\n"
                           "/rooms #Rust\n");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "hello");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_ACTION);
    assert_string_equal (msg->text, "waves");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "/etc");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_PRIVMSG);
    assert_string_equal (msg->nick, "bob");
    assert_string_equal (msg->text, "hi there");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_NICK);
    assert_string_equal (msg->nick, "Al");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_WHO);
    assert_int_equal (msg->limit, 50);
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_ROOMS);
    assert_int_equal (msg->limit, 50);
    assert_string_equal (msg->text, "");
    wire_msg_destroy (&msg);
    //  The filter goes up in canonical form
    msg = s_expect_uplink (fixture, WIRE_ROOMS);
    assert_string_equal (msg->text, "rust");
    wire_msg_destroy (&msg);
    s_expect_quiet (fixture);
    s_reply (fixture, WIRE_NICKED, "Al", NULL, NULL);
    assert_string_equal (session_nick (fixture->session), "Al");
}

static void
test_local_answers (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_user_types (fixture, "/join\n/join #General\n/join bad!room\n/nick 1abc\n"
                           "/msg toolongtoolongtoolongtoolongtoolo x\n/me\n/bogus x\n/HELP quit\n"
                           "/help bogus\n/nick a b\n/who x\n/rooms bad!room\n");
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
        "! usage: /join <room>\r\n"
        "! you are already in #general\r\n"
        "! invalid room name: bad character (allowed: letters, digits, _ and -)\r\n"
        "! invalid nickname: must start with a letter or _\r\n"
        "! invalid nickname: too long (max 32 characters)\r\n"
        "! usage: /me <action>\r\n"
        "! unknown command: /bogus (try /help)\r\n"
        "* /quit: say goodbye and close the connection; your room sees you leave\r\n"
        "* example: /quit\r\n"
        "! unknown command: bogus (try /help)\r\n"
        "! usage: /nick <name>\r\n"
        "! usage: /who\r\n"
        "! invalid room name: bad character (allowed: letters, digits, _ and -)\r\n");
    s_expect_quiet (fixture);
}

static void
test_replies_for_the_user (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_reply (fixture, WIRE_ERROR, NULL, NULL, "nickname taken: bob");
    s_reply (fixture, WIRE_PRIVATE, "bob", NULL, "psst");
    s_reply (fixture, WIRE_PRIVATE_SENT, "bob", NULL, "hi");
    wire_msg_t *msg = wire_msg_new (WIRE_WHO_LIST);
    msg->client = session_id (fixture->session);
    wire_msg_set_room (msg, "general");
    wire_msg_add_entry (msg, "bob", 0);
    wire_msg_add_entry (msg, "alice", 0);
    msg->total = 3;
    session_on_reply (fixture->session, msg);
    wire_msg_destroy (&msg);
    msg = wire_msg_new (WIRE_ROOM_LIST);
    msg->client = session_id (fixture->session);
    msg->total = 7;
    wire_msg_set_text (msg, "ru");
    wire_msg_add_entry (msg, "rust", 2);
    session_on_reply (fixture->session, msg);
    wire_msg_destroy (&msg);
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
        "! nickname taken: bob\r\n[pm from bob] psst\r\n[pm to bob] hi\r\n"
        "* #general (3): alice, bob, ... and 1 more\r\n"
        "* rooms matching \"ru\" (7):\r\n*   #rust  2 members\r\n* ... and 6 more rooms\r\n");
}

static void
test_join_moves_membership (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    subs_room_t *general = subs_lookup (fixture->subs, "general");
    assert_true (session_on_joined (fixture->session, general));
    assert_ptr_equal (session_member (fixture->session)->room, general);

    s_user_types (fixture, "/join Rust\nafter join\n");
    //  Old room stops delivering at once; the new one is probing
    assert_null (session_member (fixture->session)->room);
    assert_int_equal (fixture->subscribed, 2);
    s_expect_quiet (fixture);
    s_room_live (fixture, "rust");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_JOIN);
    assert_string_equal (msg->room, "rust");
    wire_msg_destroy (&msg);
    //  The line after /join waits for the JOINED
    s_pass (fixture);
    s_expect_quiet (fixture);

    subs_room_t *rust = subs_lookup (fixture->subs, "rust");
    assert_false (session_on_joined (fixture->session, general));
    assert_true (session_on_joined (fixture->session, rust));
    s_replay_end (fixture, "rust");
    assert_ptr_equal (session_member (fixture->session)->room, rust);
    assert_string_equal (session_room (fixture->session), "rust");
    //  #general lost its last ref
    assert_int_equal (fixture->unsubscribed, 1);
    assert_null (subs_lookup (fixture->subs, "general"));
    s_pass (fixture);
    msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "after join");
    wire_msg_destroy (&msg);

    //  LEFT naming us stops delivery
    session_on_left (fixture->session, rust);
    assert_null (session_member (fixture->session)->room);
}

static void
test_join_refused (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    subs_room_t *general = subs_lookup (fixture->subs, "general");
    session_on_joined (fixture->session, general);
    s_user_types (fixture, "/join full\n");
    s_room_live (fixture, "full");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_JOIN);
    wire_msg_destroy (&msg);
    s_reply (fixture, WIRE_JOIN_REFUSED, NULL, "full", "room is full: #full");
    //  Back in #general, delivering; #full forgotten
    assert_string_equal (session_room (fixture->session), "general");
    assert_ptr_equal (session_member (fixture->session)->room, general);
    assert_null (subs_lookup (fixture->subs, "full"));
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer), "! room is full: #full\r\n");
}

//  The ERROR of a line sent before the /join arrives while the join is in
//  flight: it is that line's error, not the join's refusal.
static void
test_error_during_join (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    subs_room_t *general = subs_lookup (fixture->subs, "general");
    session_on_joined (fixture->session, general);
    s_user_types (fixture, "/msg nobody hi\n/join rust\n");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_PRIVMSG);
    wire_msg_destroy (&msg);
    s_room_live (fixture, "rust");
    msg = s_expect_uplink (fixture, WIRE_JOIN);
    wire_msg_destroy (&msg);
    s_reply (fixture, WIRE_ERROR, NULL, NULL, "no such nickname: nobody");
    //  Still joining #rust: its ref is held, input still waits
    subs_room_t *rust = subs_lookup (fixture->subs, "rust");
    assert_non_null (rust);
    s_user_types (fixture, "in rust\n");
    s_expect_quiet (fixture);
    //  A refusal of another room does not end this join either
    s_reply (fixture, WIRE_JOIN_REFUSED, NULL, "other", "too many rooms");
    assert_non_null (subs_lookup (fixture->subs, "rust"));
    assert_true (session_on_joined (fixture->session, rust));
    s_replay_end (fixture, "rust");
    assert_string_equal (session_room (fixture->session), "rust");
    assert_ptr_equal (session_member (fixture->session)->room, rust);
    s_pass (fixture);
    msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "in rust");
    wire_msg_destroy (&msg);
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
        "! no such nickname: nobody\r\n! too many rooms\r\n");
}

static void
test_quit_and_logout (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_user_types (fixture, "/quit\n");
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer), "* Bye!\r\n");
    s_pass (fixture);
    assert_null (fixture->session);
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGOUT);
    assert_string_equal (msg->text, "quit");
    wire_msg_destroy (&msg);
    //  Every room ref went with it
    assert_int_equal (subs_size (fixture->subs), 0);
}

static void
test_close_before_login_is_silent (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    session_destroy (&fixture->session, "disconnected");
    assert_null (fixture->session);
    s_expect_quiet (fixture);          //  LOGIN never went up: no LOGOUT
    assert_int_equal (fixture->unsubscribed, 1);
}

//  Fill the uplink (the router does not read) until requests queue in
//  the relay; returns how many are queued.
static size_t
s_fill_uplink (fixture_t *fixture)
{
    for (int count = 0; count < TEST_FILL_MAX && relay_queued (fixture->relay) == 0; count++) {
        wire_msg_t *msg = wire_msg_new (WIRE_LOGOUT);
        msg->client = TEST_FILLER_CLIENT;
        wire_msg_set_text (msg, "filler");
        relay_send (fixture->relay, &msg);
    }
    assert_int_equal (relay_queued (fixture->relay), 1);
    return relay_queued (fixture->relay);
}

//  A client that goes away while its LOGIN still waits in the relay's
//  queue takes the LOGIN back and sends no LOGOUT: connection churn while
//  the router is away does not grow the queue.
static void
test_close_while_login_queued (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    size_t queued = s_fill_uplink (fixture);
    s_room_live (fixture, "general");
    assert_int_equal (session_state (fixture->session), SESSION_LOGGING_IN);
    assert_int_equal (relay_queued (fixture->relay), queued + 1);
    session_destroy (&fixture->session, "disconnected");
    assert_int_equal (relay_queued (fixture->relay), queued);
}

//  Once the LOGIN went up, closing sends the LOGOUT as before.
static void
test_close_after_login_sent_logs_out (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_room_live (fixture, "general");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    wire_msg_destroy (&msg);
    session_destroy (&fixture->session, "disconnected");
    msg = s_expect_uplink (fixture, WIRE_LOGOUT);
    wire_msg_destroy (&msg);
    assert_int_equal (relay_queued (fixture->relay), 0);
}

static void
test_resync (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    subs_room_t *general = subs_lookup (fixture->subs, "general");
    session_on_joined (fixture->session, general);
    session_on_left (fixture->session, general);    //  the router forgot us
    subs_reprobe (fixture->subs);
    session_resync (fixture->session);
    //  Nothing goes up, and typed lines wait, until the room is live on
    //  the new router (its PUB has our subscription)
    s_user_types (fixture, "after restart\n");
    s_expect_quiet (fixture);
    s_room_live (fixture, "general");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    assert_string_equal (msg->nick, "alice");
    assert_string_equal (msg->room, "general");
    assert_string_equal (msg->text, "resync");
    wire_msg_destroy (&msg);
    s_pass (fixture);
    s_expect_quiet (fixture);           //  the line waits for LOGGED_IN
    s_reply (fixture, WIRE_LOGGED_IN, "alice_", "general", NULL);
    assert_string_equal (session_nick (fixture->session), "alice_");
    assert_ptr_equal (session_member (fixture->session)->room, general);
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer), "* your nickname is now alice_\r\n");
    msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "after restart");
    wire_msg_destroy (&msg);
}

//  The user's end after the session closed: the notice, then EOF.
static void
s_expect_closed_with (fixture_t *fixture, const char *notice)
{
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer), notice);
    s_pass (fixture);
    assert_int_equal (recv (fixture->peer, buffer, sizeof (buffer), MSG_DONTWAIT), 0);
    assert_null (fixture->session);
}

//  A refused LOGIN comes back as a plain ERROR: the user is told and the
//  client closed, not left with its input held forever; no LOGOUT goes up
//  for a session the router never had.
static void
test_login_refused (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_user_types (fixture, "early bird\n");
    s_room_live (fixture, "general");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    wire_msg_destroy (&msg);
    s_reply (fixture, WIRE_ERROR, NULL, NULL, "too many sessions");
    s_expect_closed_with (fixture, "! too many sessions\r\n");
    s_expect_quiet (fixture);           //  neither the held line nor LOGOUT
    assert_int_equal (subs_size (fixture->subs), 0);
}

//  The same for the resync LOGIN after a router restart.
static void
test_resync_login_refused (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    session_resync (fixture->session);  //  room still live: LOGIN goes up
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_LOGIN);
    assert_string_equal (msg->text, "resync");
    wire_msg_destroy (&msg);
    s_user_types (fixture, "held\n");
    s_reply (fixture, WIRE_ERROR, NULL, NULL, "server shutting down");
    s_expect_closed_with (fixture, "! server shutting down\r\n");
    s_expect_quiet (fixture);
}

//  A /join in flight at the restart goes up again after the resync LOGIN,
//  once both rooms are live again, in whichever order they come.
static void
test_resync_during_join (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_user_types (fixture, "/join rust\n");
    s_room_live (fixture, "rust");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_JOIN);
    wire_msg_destroy (&msg);
    subs_reprobe (fixture->subs);
    session_resync (fixture->session);
    s_room_live (fixture, "rust");
    s_expect_quiet (fixture);           //  no JOIN before the LOGIN
    s_room_live (fixture, "general");
    msg = s_expect_uplink (fixture, WIRE_LOGIN);
    assert_string_equal (msg->text, "resync");
    assert_string_equal (msg->room, "general");
    wire_msg_destroy (&msg);
    msg = s_expect_uplink (fixture, WIRE_JOIN);
    assert_string_equal (msg->room, "rust");
    wire_msg_destroy (&msg);
    s_expect_quiet (fixture);
}

//  Let the deadline of a request started now pass, then expire it.
static void
s_past_deadline (fixture_t *fixture)
{
    zclock_sleep (TEST_DEADLINE_MS * 2);
    s_pass (fixture);
    session_expire (&fixture->ctx);
}

//  A /join whose room never goes live is given up at the deadline: an
//  error line, no JOIN at all, still in #general, held input goes up.
static void
test_join_deadline_unsent (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    fixture->ctx.loop = fixture->loop;
    fixture->ctx.join_timeout_ms = TEST_DEADLINE_MS;
    s_user_types (fixture, "/join rust\nbehind\n");
    s_expect_quiet (fixture);
    s_past_deadline (fixture);
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
                         "! join to #rust timed out, try again\r\n");
    assert_string_equal (session_room (fixture->session), "general");
    assert_ptr_equal (session_member (fixture->session)->room,
                      subs_lookup (fixture->subs, "general"));
    assert_null (subs_lookup (fixture->subs, "rust"));
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_SAY);
    assert_string_equal (msg->text, "behind");
    wire_msg_destroy (&msg);
    s_expect_quiet (fixture);
    assert_true (session_settled (fixture->session));
}

//  A /join whose JOIN went up and was never answered: after the error
//  line a JOIN back to #general follows it, and the router's "already
//  in" for that is not shown.
static void
test_join_deadline_sent (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    fixture->ctx.loop = fixture->loop;
    fixture->ctx.join_timeout_ms = TEST_DEADLINE_MS;
    s_user_types (fixture, "/join rust\n");
    s_room_live (fixture, "rust");
    wire_msg_t *msg = s_expect_uplink (fixture, WIRE_JOIN);
    assert_string_equal (msg->room, "rust");
    wire_msg_destroy (&msg);
    assert_false (session_settled (fixture->session));
    s_past_deadline (fixture);
    msg = s_expect_uplink (fixture, WIRE_JOIN);
    assert_string_equal (msg->room, "general");
    wire_msg_destroy (&msg);
    s_reply (fixture, WIRE_JOIN_REFUSED, NULL, "general", "you are already in #general");
    char buffer [TEST_BUFFER];
    assert_string_equal (s_user_reads (fixture, buffer),
                         "! join to #rust timed out, try again\r\n");
    assert_string_equal (session_room (fixture->session), "general");
    assert_true (session_settled (fixture->session));
}

//  Replies owed keep a session unsettled until they come; /quit while
//  held acts at once.
static void
test_owed_replies_and_held_quit (void **state)
{
    fixture_t *fixture = (fixture_t *) *state;
    s_log_in (fixture, "alice");
    s_user_types (fixture, "/who\n/rooms\nhello\n");
    assert_false (session_settled (fixture->session));
    s_reply (fixture, WIRE_WHO_LIST, NULL, "general", NULL);
    assert_false (session_settled (fixture->session));
    s_reply (fixture, WIRE_ROOM_LIST, NULL, NULL, NULL);
    assert_true (session_settled (fixture->session));
    assert_false (session_on_held_line (fixture->session, "/who", 4));
    assert_true (session_on_held_line (fixture->session, "/QUIT", 5));
    assert_true (client_is_closing (fixture->client));
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_login_waits_for_live_room, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lines_become_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_local_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_replies_for_the_user, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_moves_membership, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_error_during_join, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quit_and_logout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_close_before_login_is_silent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_close_while_login_queued, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_close_after_login_sent_logs_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resync_during_join, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resync_login_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_deadline_unsent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_join_deadline_sent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_owed_replies_and_held_quit, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

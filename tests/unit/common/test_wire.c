/*  =========================================================================
    test_wire.c - the frames between gateway and router

    Round-trips every verb with every field set, checks the exact frames
    of a few messages against docs/PROTOCOL.md, and feeds the decoder the
    malformed messages a hostile peer could send.
    =========================================================================
*/
#include "chat.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "wire.h"

#define TEST_NUMBER_SIZE        8
#define TEST_SHORT_NUMBER       7
#define TEST_WAIT_MS            1000

//  The pictures from docs/PROTOCOL.md, written out again so a change in
//  wire.c that breaks the documented contract fails here.
static const char *s_pictures [WIRE_ID_COUNT] = {
    [WIRE_HELLO] = "gx", [WIRE_HEARTBEAT] = "", [WIRE_LOGIN] = "cnrx",
    [WIRE_LOGOUT] = "cx", [WIRE_JOIN] = "cr", [WIRE_NICK] = "cn",
    [WIRE_SAY] = "cx", [WIRE_ACTION] = "cx", [WIRE_PRIVMSG] = "cnx",
    [WIRE_ROOMS] = "cmx", [WIRE_WHO] = "cm", [WIRE_PROBE] = "rc", [WIRE_BYE] = "",
    [WIRE_HISTORY] = "csm", [WIRE_RECOVER] = "rsm",
    [WIRE_DRAINED] = "", [WIRE_WELCOME] = "e", [WIRE_RESYNC] = "e",
    [WIRE_LOGGED_IN] = "cnr", [WIRE_NICKED] = "cn", [WIRE_ERROR] = "cx",
    [WIRE_ROOM_LIST] = "ckxl", [WIRE_WHO_LIST] = "crkl", [WIRE_PRIVATE] = "cnx",
    [WIRE_PRIVATE_SENT] = "cnx", [WIRE_JOIN_REFUSED] = "crx",
    [WIRE_HELLO_REFUSED] = "x",
    [WIRE_HISTORY_LINE] = "crswnx", [WIRE_HISTORY_ACTION] = "crswnx",
    [WIRE_HISTORY_END] = "crskx",
    [WIRE_CHAT] = "sgcnx", [WIRE_EMOTE] = "sgcnx",
    [WIRE_JOINED] = "sgcnk", [WIRE_LEFT] = "sgcnxk", [WIRE_RENAMED] = "sgcnt",
    [WIRE_NOTICE] = "sx", [WIRE_PROBED] = "gc", [WIRE_BEAT] = "e", [WIRE_DRAIN] = "e",
};

static const char *s_names [WIRE_ID_COUNT] = {
    [WIRE_HELLO] = "HELLO", [WIRE_HEARTBEAT] = "HEARTBEAT", [WIRE_LOGIN] = "LOGIN",
    [WIRE_LOGOUT] = "LOGOUT", [WIRE_JOIN] = "JOIN", [WIRE_NICK] = "NICK",
    [WIRE_SAY] = "SAY", [WIRE_ACTION] = "ACTION", [WIRE_PRIVMSG] = "PRIVMSG",
    [WIRE_ROOMS] = "ROOMS", [WIRE_WHO] = "WHO", [WIRE_PROBE] = "PROBE", [WIRE_BYE] = "BYE",
    [WIRE_HISTORY] = "HISTORY", [WIRE_RECOVER] = "RECOVER",
    [WIRE_DRAINED] = "DRAINED", [WIRE_WELCOME] = "WELCOME", [WIRE_RESYNC] = "RESYNC",
    [WIRE_LOGGED_IN] = "LOGGED_IN", [WIRE_NICKED] = "NICKED", [WIRE_ERROR] = "ERROR",
    [WIRE_ROOM_LIST] = "ROOM_LIST", [WIRE_WHO_LIST] = "WHO_LIST", [WIRE_PRIVATE] = "PRIVATE",
    [WIRE_PRIVATE_SENT] = "PRIVATE_SENT", [WIRE_JOIN_REFUSED] = "JOIN_REFUSED",
    [WIRE_HELLO_REFUSED] = "HELLO_REFUSED",
    [WIRE_HISTORY_LINE] = "HISTORY_LINE", [WIRE_HISTORY_ACTION] = "HISTORY_ACTION",
    [WIRE_HISTORY_END] = "HISTORY_END",
    [WIRE_CHAT] = "CHAT", [WIRE_EMOTE] = "EMOTE",
    [WIRE_JOINED] = "JOINED", [WIRE_LEFT] = "LEFT", [WIRE_RENAMED] = "RENAMED",
    [WIRE_NOTICE] = "NOTICE", [WIRE_PROBED] = "PROBED", [WIRE_BEAT] = "BEAT",
    [WIRE_DRAIN] = "DRAIN",
};

static bool
s_has (wire_id_t id, char field)
{
    return strchr (s_pictures [id], field) != NULL;
}

//  A message of id with every field set, whether its picture uses it or not.
static wire_msg_t *
s_full_message (wire_id_t id)
{
    wire_msg_t *msg = wire_msg_new (id);
    wire_msg_set_gateway (msg, "gw1-3f2a");
    msg->client = 0x0102030405060708ULL;
    msg->seq = UINT64_MAX;
    msg->epoch = 1234567;
    msg->limit = 50;
    msg->total = 980;
    msg->time = 1764547200123ULL;
    wire_msg_set_room (msg, "rust");
    wire_msg_set_nick (msg, "alice");
    wire_msg_set_target (msg, "bob");
    wire_msg_set_text (msg, "h\xc3\xa9llo \xe2\x9c\x93");
    wire_msg_add_entry (msg, "general", 3);
    wire_msg_add_entry (msg, "rust", 0);
    return msg;
}

static wire_msg_t *
s_round_trip (wire_msg_t *msg)
{
    zmsg_t *frames = wire_msg_encode (msg);
    assert_non_null (frames);
    wire_msg_t *decoded = wire_msg_decode (&frames);
    assert_null (frames);
    return decoded;
}

//  Check that copy holds exactly the fields of msg (a s_full_message)
//  that id's picture carries.
static void
s_check_copy (wire_msg_t *msg, wire_msg_t *copy, wire_id_t id)
{
    assert_non_null (copy);
    assert_int_equal (copy->id, id);
    assert_string_equal (wire_id_name (id), s_names [id]);

    if (s_has (id, 'g'))
        assert_string_equal (copy->gateway, "gw1-3f2a");
    else
        assert_null (copy->gateway);
    assert_true (copy->client == (s_has (id, 'c')? msg->client: 0));
    assert_true (copy->seq == (s_has (id, 's')? msg->seq: 0));
    assert_true (copy->epoch == (s_has (id, 'e')? msg->epoch: 0));
    assert_true (copy->limit == (s_has (id, 'm')? msg->limit: 0));
    assert_true (copy->total == (s_has (id, 'k')? msg->total: 0));
    assert_true (copy->time == (s_has (id, 'w')? msg->time: 0));
    //  Published room messages carry the room in their topic
    bool control = id == WIRE_BEAT || id == WIRE_DRAIN;
    if (s_has (id, 'r') || (wire_id_is_published (id) && !control))
        assert_string_equal (copy->room, "rust");
    else
    if (control)
        assert_string_equal (copy->room, WIRE_TOPIC_CONTROL);
    else
        assert_null (copy->room);
    if (s_has (id, 'n'))
        assert_string_equal (copy->nick, "alice");
    else
        assert_null (copy->nick);
    if (s_has (id, 't'))
        assert_string_equal (copy->target, "bob");
    else
        assert_null (copy->target);
    if (s_has (id, 'x'))
        assert_string_equal (copy->text, msg->text);
    else
        assert_null (copy->text);
    if (s_has (id, 'l')) {
        assert_int_equal (copy->entry_count, 2);
        assert_string_equal (copy->entries [0].name, "general");
        assert_int_equal (copy->entries [0].count, 3);
        assert_string_equal (copy->entries [1].name, "rust");
        assert_int_equal (copy->entries [1].count, 0);
    }
    else
        assert_int_equal (copy->entry_count, 0);
}

static void
test_round_trip_every_verb (void **state)
{
    (void) state;
    for (int index = WIRE_INVALID + 1; index < WIRE_ID_COUNT; index++) {
        wire_id_t id = (wire_id_t) index;
        wire_msg_t *msg = s_full_message (id);
        wire_msg_t *copy = s_round_trip (msg);
        s_check_copy (msg, copy, id);
        wire_msg_destroy (&msg);
        wire_msg_destroy (&copy);
        assert_null (copy);
        wire_msg_destroy (&copy);
    }
}

static void
test_exact_frames (void **state)
{
    (void) state;
    //  CHAT: topic, verb, s, g, c, n, x
    wire_msg_t *msg = wire_msg_new (WIRE_CHAT);
    wire_msg_set_room (msg, "rust");
    msg->seq = 258;
    wire_msg_set_gateway (msg, "gw1");
    msg->client = 1;
    wire_msg_set_nick (msg, "alice");
    wire_msg_set_text (msg, "hi");
    zmsg_t *frames = wire_msg_encode (msg);
    assert_int_equal (zmsg_size (frames), 7);
    zframe_t *frame = zmsg_first (frames);
    assert_int_equal (zframe_size (frame), 5);
    assert_memory_equal (zframe_data (frame), "rust\n", 5);
    assert_true (zframe_streq (zmsg_next (frames), "CHAT"));
    frame = zmsg_next (frames);
    assert_int_equal (zframe_size (frame), TEST_NUMBER_SIZE);
    assert_memory_equal (zframe_data (frame), "\0\0\0\0\0\0\x01\x02", TEST_NUMBER_SIZE);
    assert_true (zframe_streq (zmsg_next (frames), "gw1"));
    assert_int_equal (zframe_size (zmsg_next (frames)), TEST_NUMBER_SIZE);
    assert_true (zframe_streq (zmsg_next (frames), "alice"));
    assert_true (zframe_streq (zmsg_next (frames), "hi"));
    zmsg_destroy (&frames);
    wire_msg_destroy (&msg);

    //  BEAT goes on the control topic whatever the room field says
    msg = wire_msg_new (WIRE_BEAT);
    wire_msg_set_room (msg, "rust");
    frames = wire_msg_encode (msg);
    assert_int_equal (zmsg_size (frames), 3);
    assert_true (zframe_streq (zmsg_first (frames), "$ctl\n"));
    zmsg_destroy (&frames);
    wire_msg_destroy (&msg);

    //  Unset strings go out empty; ROOM_LIST with no entries: verb, c,
    //  k, x (the filter), entry count
    msg = wire_msg_new (WIRE_ROOM_LIST);
    frames = wire_msg_encode (msg);
    assert_int_equal (zmsg_size (frames), 5);
    zmsg_destroy (&frames);
    wire_msg_destroy (&msg);

    //  ROOMS: verb, c, m (the limit), x (the filter)
    msg = wire_msg_new (WIRE_ROOMS);
    msg->client = 7;
    msg->limit = 50;
    wire_msg_set_text (msg, "rust");
    frames = wire_msg_encode (msg);
    assert_int_equal (zmsg_size (frames), 4);
    assert_true (zframe_streq (zmsg_first (frames), "ROOMS"));
    zmsg_next (frames);
    frame = zmsg_next (frames);
    assert_int_equal (zframe_size (frame), TEST_NUMBER_SIZE);
    assert_memory_equal (zframe_data (frame), "\0\0\0\0\0\0\0\x32", TEST_NUMBER_SIZE);
    assert_true (zframe_streq (zmsg_next (frames), "rust"));
    zmsg_destroy (&frames);
    wire_msg_destroy (&msg);

    //  WHO_LIST: verb, c, r, k (members in all), count, then the pairs
    msg = wire_msg_new (WIRE_WHO_LIST);
    wire_msg_set_room (msg, "rust");
    msg->total = 5000;
    wire_msg_add_entry (msg, "alice", 0);
    wire_msg_t *who = s_round_trip (msg);
    assert_non_null (who);
    assert_int_equal (who->total, 5000);
    assert_int_equal (who->entry_count, 1);
    assert_string_equal (who->room, "rust");
    wire_msg_destroy (&who);
    wire_msg_destroy (&msg);
    msg = wire_msg_new (WIRE_LOGIN);
    wire_msg_t *copy = s_round_trip (msg);
    assert_non_null (copy);
    assert_string_equal (copy->nick, "");
    assert_string_equal (copy->room, "");
    assert_string_equal (copy->text, "");
    wire_msg_destroy (&copy);
    wire_msg_destroy (&msg);
}

static void
test_setters (void **state)
{
    (void) state;
    wire_msg_t *msg = wire_msg_new (WIRE_SAY);
    wire_msg_set_text (msg, "first");
    wire_msg_set_text (msg, "second");
    assert_string_equal (msg->text, "second");
    wire_msg_set_text (msg, NULL);
    assert_string_equal (msg->text, "");
    wire_msg_set_textn (msg, "abcdef", 3);
    assert_string_equal (msg->text, "abc");
    wire_msg_set_textn (msg, NULL, 0);
    assert_string_equal (msg->text, "");
    wire_msg_set_gateway (msg, NULL);
    wire_msg_set_nick (msg, NULL);
    wire_msg_set_target (msg, NULL);
    wire_msg_set_room (msg, NULL);
    assert_string_equal (msg->gateway, "");
    assert_string_equal (msg->target, "");
    wire_msg_destroy (&msg);
}

static void
test_names_and_published (void **state)
{
    (void) state;
    for (int index = WIRE_INVALID + 1; index < WIRE_ID_COUNT; index++)
        assert_string_equal (wire_id_name ((wire_id_t) index), s_names [index]);
    assert_string_equal (wire_id_name (WIRE_INVALID), "INVALID");
    assert_string_equal (wire_id_name (WIRE_ID_COUNT), "INVALID");
    assert_string_equal (wire_id_name ((wire_id_t) -1), "INVALID");
    assert_false (wire_id_is_published (WIRE_HELLO));
    assert_false (wire_id_is_published (WIRE_PRIVATE_SENT));
    assert_false (wire_id_is_published (WIRE_INVALID));
    for (int index = WIRE_CHAT; index <= WIRE_DRAIN; index++)
        assert_true (wire_id_is_published ((wire_id_t) index));
    assert_false (wire_id_is_published (WIRE_ID_COUNT));
}

static void
test_topic (void **state)
{
    (void) state;
    char rust [WIRE_TOPIC_MAX + 1];
    char rustacean [WIRE_TOPIC_MAX + 1];
    assert_int_equal (wire_topic ("rust", rust), 5);
    assert_memory_equal (rust, "rust\n", 6);
    assert_int_equal (wire_topic ("rustacean", rustacean), 10);
    assert_string_equal (rustacean, "rustacean\n");
    //  A SUB matches by prefix: "rust\n" must not prefix "rustacean\n"
    assert_int_not_equal (memcmp (rustacean, rust, strlen (rust)), 0);
    assert_int_equal (memcmp (rustacean, "rust", strlen ("rust")), 0);

    char control [WIRE_TOPIC_MAX + 1];
    assert_int_equal (wire_topic (WIRE_TOPIC_CONTROL, control), 5);
    assert_string_equal (control, "$ctl\n");

    char longest [CHAT_ROOM_MAX + 1];
    memset (longest, 'r', CHAT_ROOM_MAX);
    longest [CHAT_ROOM_MAX] = 0;
    char topic [WIRE_TOPIC_MAX + 1];
    assert_int_equal (wire_topic (longest, topic), CHAT_ROOM_MAX + 1);
    assert_int_equal (topic [CHAT_ROOM_MAX], '\n');
}

//  Build a zmsg from string frames (NULL-terminated list).
static zmsg_t *
s_frames (const char *first, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, first);
    for (const char *frame = first; frame; frame = va_arg (args, const char *))
        zmsg_addstr (msg, frame);
    va_end (args);
    return msg;
}

static void
s_add_number (zmsg_t *msg, uint64_t value, size_t size)
{
    byte buffer [TEST_NUMBER_SIZE];
    for (int index = TEST_NUMBER_SIZE - 1; index >= 0; index--) {
        buffer [index] = (byte) value;
        value >>= CHAR_BIT;
    }
    zmsg_addmem (msg, buffer + TEST_NUMBER_SIZE - size, size);
}

static void
s_expect_rejected (zmsg_t *msg)
{
    wire_msg_t *decoded = wire_msg_decode (&msg);
    assert_null (msg);
    if (decoded)
        fail_msg ("accepted a malformed %s", wire_id_name (decoded->id));
}

static void
test_reject_malformed (void **state)
{
    (void) state;
    zmsg_t *msg = NULL;
    assert_null (wire_msg_decode (&msg));
    s_expect_rejected (zmsg_new ());
    s_expect_rejected (s_frames ("SHOUT", NULL));
    s_expect_rejected (s_frames ("say", NULL));                 //  verbs are exact
    s_expect_rejected (s_frames ("", NULL));

    //  SAY c x: a valid one first, then each way to break it
    msg = s_frames ("SAY", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hi");
    wire_msg_t *good = wire_msg_decode (&msg);
    assert_non_null (good);
    wire_msg_destroy (&good);

    msg = s_frames ("SAY", NULL);                               //  missing frame
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_expect_rejected (msg);
    msg = s_frames ("SAY", NULL);                               //  extra frame
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hi");
    zmsg_addstr (msg, "more");
    s_expect_rejected (msg);
    msg = s_frames ("SAY", NULL);                               //  7-byte number
    s_add_number (msg, 1, TEST_SHORT_NUMBER);
    zmsg_addstr (msg, "hi");
    s_expect_rejected (msg);
    msg = s_frames ("SAY", NULL);                               //  NUL in a string
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addmem (msg, "h\0i", 3);
    s_expect_rejected (msg);

    //  Text at the maximum passes, one byte over does not
    char *text = (char *) malloc (WIRE_TEXT_MAX + 2);
    memset (text, 'x', WIRE_TEXT_MAX + 1);
    text [WIRE_TEXT_MAX] = 0;
    msg = s_frames ("SAY", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, text);
    good = wire_msg_decode (&msg);
    assert_non_null (good);
    assert_int_equal (strlen (good->text), WIRE_TEXT_MAX);
    wire_msg_destroy (&good);
    text [WIRE_TEXT_MAX] = 'x';
    text [WIRE_TEXT_MAX + 1] = 0;
    msg = s_frames ("SAY", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, text);
    s_expect_rejected (msg);
    free (text);

    //  Over-long nickname (33) vs the longest (32)
    msg = s_frames ("NICK", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "a23456789012345678901234567890123");
    s_expect_rejected (msg);
    msg = s_frames ("NICK", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "a2345678901234567890123456789012");
    good = wire_msg_decode (&msg);
    assert_non_null (good);
    wire_msg_destroy (&good);

    //  Over-long gateway id
    char gateway [WIRE_GATEWAY_MAX + 2];
    memset (gateway, 'g', WIRE_GATEWAY_MAX + 1);
    gateway [WIRE_GATEWAY_MAX + 1] = 0;
    s_expect_rejected (s_frames ("HELLO", gateway, "name", NULL));
    gateway [WIRE_GATEWAY_MAX] = 0;
    msg = s_frames ("HELLO", gateway, "name", NULL);
    good = wire_msg_decode (&msg);
    assert_non_null (good);
    wire_msg_destroy (&good);

    //  Entries: count larger than the pairs that follow
    msg = s_frames ("ROOM_LIST", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_add_number (msg, 2, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "");
    s_add_number (msg, 2, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "general");
    s_add_number (msg, 3, TEST_NUMBER_SIZE);
    s_expect_rejected (msg);
    msg = s_frames ("ROOM_LIST", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "");
    s_add_number (msg, UINT64_MAX, TEST_NUMBER_SIZE);
    s_expect_rejected (msg);
}

static void
test_reject_topics (void **state)
{
    (void) state;
    //  A good NOTICE, for contrast
    zmsg_t *msg = s_frames ("rust\n", "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    wire_msg_t *good = wire_msg_decode (&msg);
    assert_non_null (good);
    assert_string_equal (good->room, "rust");
    wire_msg_destroy (&good);

    //  Published verb without a topic
    msg = s_frames ("NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_expect_rejected (msg);
    //  Topic without the terminator
    msg = s_frames ("rust", "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_expect_rejected (msg);
    //  Empty room in the topic
    msg = s_frames ("\n", "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_expect_rejected (msg);
    //  Control verb on a room topic, room verb on the control topic
    msg = s_frames ("rust\n", "BEAT", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_expect_rejected (msg);
    msg = s_frames ("$ctl\n", "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_expect_rejected (msg);
    msg = s_frames ("$ctl\n", "BEAT", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    good = wire_msg_decode (&msg);
    assert_non_null (good);
    assert_int_equal (good->id, WIRE_BEAT);
    wire_msg_destroy (&good);
    //  The longest room fits a topic; one byte more does not
    char topic [CHAT_ROOM_MAX + 3];
    memset (topic, 'r', CHAT_ROOM_MAX);
    strcpy (topic + CHAT_ROOM_MAX, "\n");
    msg = s_frames (topic, "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    good = wire_msg_decode (&msg);
    assert_non_null (good);
    assert_int_equal (strlen (good->room), CHAT_ROOM_MAX);
    wire_msg_destroy (&good);
    memset (topic, 'r', CHAT_ROOM_MAX + 1);
    strcpy (topic + CHAT_ROOM_MAX + 1, "\n");
    msg = s_frames (topic, "NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_expect_rejected (msg);
    //  A request verb with a topic
    msg = s_frames ("rust\n", "HEARTBEAT", NULL);
    s_expect_rejected (msg);
    //  Topic alone
    s_expect_rejected (s_frames ("rust\n", NULL));
}

static void
test_send_and_recv (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("inproc://test-wire");
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, "gw1");
    assert_int_equal (zsock_connect (dealer, "inproc://test-wire"), 0);

    wire_msg_t *msg = wire_msg_new (WIRE_SAY);
    msg->client = 9;
    wire_msg_set_text (msg, "up");
    assert_int_equal (wire_msg_send (&msg, dealer, 0), 0);
    assert_null (msg);
    char *routing_id = NULL;
    wire_msg_t *received = wire_msg_recv_from (router, &routing_id);
    assert_non_null (received);
    assert_string_equal (routing_id, "gw1");
    assert_int_equal (received->client, 9);
    assert_string_equal (received->text, "up");
    wire_msg_destroy (&received);
    zstr_free (&routing_id);

    msg = wire_msg_new (WIRE_WELCOME);
    msg->epoch = 77;
    assert_int_equal (wire_msg_send_to (&msg, router, "gw1", 0), 0);
    received = wire_msg_recv (dealer);
    assert_non_null (received);
    assert_int_equal (received->id, WIRE_WELCOME);
    assert_int_equal (received->epoch, 77);
    wire_msg_destroy (&received);

    //  A malformed message is consumed: NULL, and no routing id left over
    zstr_send (dealer, "GARBAGE");
    routing_id = NULL;
    assert_null (wire_msg_recv_from (router, &routing_id));
    assert_null (routing_id);

    //  Unroutable with ROUTER_MANDATORY: -1, and the message is gone
    zsock_set_router_mandatory (router, 1);
    msg = wire_msg_new (WIRE_WELCOME);
    assert_int_equal (wire_msg_send_to (&msg, router, "nobody", ZMQ_DONTWAIT), -1);
    assert_null (msg);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  A connected ROUTER/DEALER pair on inproc; the DEALER's routing id is "gw1".
static void
s_pair (const char *endpoint, zsock_t **router_p, zsock_t **dealer_p)
{
    *router_p = zsock_new_router (endpoint);
    assert_non_null (*router_p);
    *dealer_p = zsock_new (ZMQ_DEALER);
    assert_non_null (*dealer_p);
    zsock_set_identity (*dealer_p, "gw1");
    assert_int_equal (zsock_connect (*dealer_p, "%s", endpoint), 0);
}

static void
test_write_and_read_every_verb (void **state)
{
    (void) state;
    zsock_t *router, *dealer;
    s_pair ("inproc://test-wire-read", &router, &dealer);
    for (int index = WIRE_INVALID + 1; index < WIRE_ID_COUNT; index++) {
        wire_id_t id = (wire_id_t) index;
        wire_msg_t *msg = s_full_message (id);
        //  Up: DEALER -> ROUTER, which reads the routing id too
        assert_int_equal (wire_msg_write (msg, dealer, NULL, 0), 0);
        assert_non_null (msg);                  //  write does not take it
        char routing_id [WIRE_GATEWAY_MAX + 1];
        wire_msg_t *copy = wire_msg_read (router, routing_id, 0);
        s_check_copy (msg, copy, id);
        assert_string_equal (routing_id, "gw1");
        wire_msg_destroy (&copy);
        //  Down: ROUTER -> DEALER by routing id
        assert_int_equal (wire_msg_write (msg, router, "gw1", 0), 0);
        copy = wire_msg_read (dealer, NULL, 0);
        s_check_copy (msg, copy, id);
        wire_msg_destroy (&copy);
        wire_msg_destroy (&msg);
    }
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  wire_msg_write sends exactly the frames wire_msg_encode builds, for
//  every verb, and a message on the stack with borrowed strings works.
static void
test_write_frames (void **state)
{
    (void) state;
    zsock_t *router, *dealer;
    s_pair ("inproc://test-wire-frames", &router, &dealer);
    for (int index = WIRE_INVALID + 1; index < WIRE_ID_COUNT; index++) {
        wire_msg_t *msg = s_full_message ((wire_id_t) index);
        assert_int_equal (wire_msg_write (msg, dealer, NULL, 0), 0);
        zmsg_t *sent = zmsg_recv (router);
        assert_non_null (sent);
        zframe_t *routing_id = zmsg_pop (sent);
        assert_true (zframe_streq (routing_id, "gw1"));
        zframe_destroy (&routing_id);
        zmsg_t *encoded = wire_msg_encode (msg);
        assert_int_equal (zmsg_size (sent), zmsg_size (encoded));
        for (zframe_t *frame = zmsg_first (sent), *expected = zmsg_first (encoded);
             frame; frame = zmsg_next (sent), expected = zmsg_next (encoded))
            assert_true (zframe_eq (frame, expected));
        zmsg_destroy (&sent);
        zmsg_destroy (&encoded);
        wire_msg_destroy (&msg);
    }
    //  On the stack: unset strings go out empty
    wire_msg_t stacked = { .id = WIRE_CHAT, .room = (char *) "rust", .seq = 2,
                           .nick = (char *) "alice" };
    assert_int_equal (wire_msg_write (&stacked, router, "gw1", 0), 0);
    zmsg_t *sent = zmsg_recv (dealer);
    assert_int_equal (zmsg_size (sent), 7);
    assert_true (zframe_streq (zmsg_first (sent), "rust\n"));
    assert_true (zframe_streq (zmsg_next (sent), "CHAT"));
    zmsg_next (sent);
    assert_int_equal (zframe_size (zmsg_next (sent)), 0);          //  g
    zmsg_next (sent);
    assert_true (zframe_streq (zmsg_next (sent), "alice"));
    assert_int_equal (zframe_size (zmsg_next (sent)), 0);          //  x
    zmsg_destroy (&sent);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  Send a hand-built message (takes it).
static void
s_send_raw (zsock_t *sock, zmsg_t *msg)
{
    assert_int_equal (zmsg_send (&msg, sock), 0);
}

static void
s_send_good_say (zsock_t *dealer, uint64_t client)
{
    zmsg_t *msg = s_frames ("SAY", NULL);
    s_add_number (msg, client, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "ok");
    s_send_raw (dealer, msg);
}

//  The next message on router is the good SAY of client.
static void
s_expect_good_say (zsock_t *router, uint64_t client)
{
    char routing_id [WIRE_GATEWAY_MAX + 1];
    wire_msg_t *msg = wire_msg_read (router, routing_id, 0);
    assert_non_null (msg);
    assert_int_equal (msg->id, WIRE_SAY);
    assert_int_equal (msg->client, client);
    assert_string_equal (msg->text, "ok");
    wire_msg_destroy (&msg);
}

static void
s_expect_read_rejected (zsock_t *router)
{
    char routing_id [WIRE_GATEWAY_MAX + 1];
    errno = 0;
    wire_msg_t *msg = wire_msg_read (router, routing_id, 0);
    if (msg)
        fail_msg ("read accepted a malformed %s", wire_id_name (msg->id));
    assert_int_equal (errno, EPROTO);
}

//  A rejected message is consumed whole wherever it goes wrong: the
//  next read returns the next good message, not the bad one's leftovers.
static void
test_read_rejects_whole (void **state)
{
    (void) state;
    zsock_t *router, *dealer;
    s_pair ("inproc://test-wire-reject", &router, &dealer);

    //  Nothing there: EAGAIN under ZMQ_DONTWAIT
    char routing_id [WIRE_GATEWAY_MAX + 1];
    errno = 0;
    assert_null (wire_msg_read (router, routing_id, ZMQ_DONTWAIT));
    assert_int_equal (errno, EAGAIN);

    //  Unknown verb with frames after it
    s_send_raw (dealer, s_frames ("SHOUT", "a", "b", "c", NULL));
    s_send_good_say (dealer, 1);
    s_expect_read_rejected (router);
    s_expect_good_say (router, 1);

    //  Bad number in the middle, frames after it
    zmsg_t *msg = s_frames ("PRIVMSG", NULL);
    s_add_number (msg, 1, TEST_SHORT_NUMBER);
    zmsg_addstr (msg, "bob");
    zmsg_addstr (msg, "hi");
    s_send_raw (dealer, msg);
    s_send_good_say (dealer, 2);
    s_expect_read_rejected (router);
    s_expect_good_say (router, 2);

    //  Trailing frames after a complete picture
    msg = s_frames ("SAY", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hi");
    zmsg_addstr (msg, "more");
    zmsg_addstr (msg, "and more");
    s_send_raw (dealer, msg);
    s_send_good_say (dealer, 3);
    s_expect_read_rejected (router);
    s_expect_good_say (router, 3);

    //  Entries: count larger than the pairs that follow, and a huge count
    msg = s_frames ("ROOM_LIST", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_add_number (msg, 2, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "");
    s_add_number (msg, 2, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "general");
    s_add_number (msg, 3, TEST_NUMBER_SIZE);
    s_send_raw (dealer, msg);
    msg = s_frames ("ROOM_LIST", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "");
    s_add_number (msg, UINT64_MAX, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "general");
    s_send_raw (dealer, msg);
    s_send_good_say (dealer, 4);
    s_expect_read_rejected (router);
    s_expect_read_rejected (router);
    s_expect_good_say (router, 4);

    //  Published verb without its topic; topic alone
    msg = s_frames ("NOTICE", NULL);
    s_add_number (msg, 1, TEST_NUMBER_SIZE);
    zmsg_addstr (msg, "hello");
    s_send_raw (dealer, msg);
    s_send_raw (dealer, s_frames ("rust\n", NULL));
    s_send_good_say (dealer, 5);
    s_expect_read_rejected (router);
    s_expect_read_rejected (router);
    s_expect_good_say (router, 5);

    //  A sender whose routing id is over WIRE_GATEWAY_MAX bytes
    zsock_t *long_id = zsock_new (ZMQ_DEALER);
    char identity [WIRE_GATEWAY_MAX + 2];
    memset (identity, 'g', WIRE_GATEWAY_MAX + 1);
    identity [WIRE_GATEWAY_MAX + 1] = 0;
    zsock_set_identity (long_id, identity);
    assert_int_equal (zsock_connect (long_id, "inproc://test-wire-reject"), 0);
    s_send_good_say (long_id, 6);
    s_expect_read_rejected (router);
    s_send_good_say (dealer, 7);
    s_expect_good_say (router, 7);
    zsock_destroy (&long_id);

    //  wire_msg_recv_from drops the same messages and leaves no routing id
    s_send_raw (dealer, s_frames ("SHOUT", "a", NULL));
    char *id = NULL;
    assert_null (wire_msg_recv_from (router, &id));
    assert_null (id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip_every_verb),
        cmocka_unit_test (test_exact_frames),
        cmocka_unit_test (test_setters),
        cmocka_unit_test (test_names_and_published),
        cmocka_unit_test (test_topic),
        cmocka_unit_test (test_reject_malformed),
        cmocka_unit_test (test_reject_topics),
        cmocka_unit_test (test_send_and_recv),
        cmocka_unit_test (test_write_and_read_every_verb),
        cmocka_unit_test (test_write_frames),
        cmocka_unit_test (test_read_rejects_whole),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}

/*  =========================================================================
    14_hostile_text.c - no terminal escape reaches a client, whoever sends it

    Two ways in. A client's own line with a control character in disguise
    (C1 as UTF-8, a bidi override or isolate, a line separator) is
    rejected at its gateway like ESC is, and nicknames and room names with
    invisible characters are refused. And a rogue peer that talks to the
    router's ingress directly (a DEALER saying HELLO like a gateway: the
    router relays its text fields as they are) still cannot get a control
    byte to a client: the receiving gateway sanitises every line it
    renders. The victim's raw byte stream is checked whole: apart from
    the telnet negotiation and each line's CRLF, nothing but printable,
    well-formed UTF-8 without C1 or bidi controls. The router checks
    names, so for the name fields (nick, target, room) a stand-in router
    takes the real one's place on its endpoints: it welcomes the gateway's
    resync and publishes and replies hostile bytes in every field.
    =========================================================================
*/
#include "harness.h"
#include "wire.h"
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTILE_LINE        256
#define HOSTILE_CLIENT      1               //  the rogue's client id
#define HOSTILE_ID          "rogue-1"       //  the rogue's gateway id
#define HOSTILE_NICK        "mallory"
#define HOSTILE_CONTROL     "! line rejected: control characters are not allowed"
#define HOSTILE_IAC         0xFF
#define HOSTILE_WILL        0xFB
#define HOSTILE_DONT        0xFE
#define HOSTILE_FFFD        "\xef\xbf\xbd"
#define HOSTILE_EPOCH       777         //  the stand-in router's epoch
#define HOSTILE_BEAT_MS     100         //  the stand-in beats this often
#define HOSTILE_RESYNC_MS   10000       //  router timeout 1 s, resync, hostile lines
#define HOSTILE_OTHER       99          //  client id of the stand-in's "other" user
#define HOSTILE_DONE        "stand-in done"

static const char *s_router_flags [] = {
    "--gateway-timeout", "1", "--heartbeat-interval", "200", NULL
};
static const char *s_gateway_flags [] = {
    "--router-timeout", "1", "--heartbeat-interval", "200", NULL
};

//  Every class in one string: C0, DEL, CR LF, C1, bidi, U+2028, bad bytes
#define HOSTILE_PAYLOAD     "\x1b[2J\x07\x01\x7f\r\n" \
                            "\xc2\x9b" "2J\xc2\x9d" "0;x\xc2\x9c" \
                            "\xe2\x80\xae\xe2\x81\xa6\xe2\x80\xa8" "\xff\xfe" "end"
//  The same classes within a name field's 32 bytes
#define HOSTILE_NAME        "\x1b[2J\x07\r\n\xc2\x9b\xe2\x80\xae\xe2\x81\xa6\xff" "n"

//  Lines a client may not send: one class each.
static const char *s_disguised [] = {
    "\xc2\x9b" "2J",                                    //  U+009B CSI: clear screen
    "\xc2\x9d" "0;type your password:" "\xc2\x9c",      //  OSC ... ST
    "\xc2\x85" "next line",                             //  U+0085 NEL
    "abc \xe2\x80\xae" "txt.exe",                       //  U+202E RLO
    "\xe2\x80\xaa" "x",                                 //  U+202A LRE
    "\xe2\x81\xa6" "x\xe2\x81\xa9",                     //  U+2066 LRI, U+2069 PDI
    "one\xe2\x80\xa8two",                               //  U+2028
};

static void
test_client_lines_rejected (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    assert_non_null (harness_start_system (harness, NULL, &gateway, 1, NULL));
    harness_client_t *alice = harness_login (harness, gateway);
    harness_client_t *bob = harness_login (harness, gateway);
    assert_non_null (alice);
    assert_non_null (bob);
    for (size_t index = 0; index < sizeof (s_disguised) / sizeof (s_disguised [0]); index++) {
        assert_int_equal (harness_send (alice, "%s", s_disguised [index]), 0);
        assert_non_null (harness_expect (alice, HOSTILE_CONTROL, HARNESS_TIMEOUT_MS));
    }
    //  A name with a bidi or C1 control never gets past the line rule;
    //  invisibles that text allows are bad characters in names
    assert_int_equal (harness_send (alice, "/nick bob\xe2\x80\xae"), 0);
    assert_non_null (harness_expect (alice, HOSTILE_CONTROL, HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/nick a\xe2\x80\x8b" "b"), 0);
    assert_non_null (harness_expect_sub (alice, "! invalid nickname: bad character",
                                         HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/join ru\xe2\x80\x8dst"), 0);
    assert_non_null (harness_expect_sub (alice, "! invalid room name: bad character",
                                         HARNESS_TIMEOUT_MS));
    assert_int_equal (harness_send (alice, "/join \xc2\xa0rust"), 0);
    assert_non_null (harness_expect_sub (alice, "! invalid room name: bad character",
                                         HARNESS_TIMEOUT_MS));
    //  Allowed invisibles in text do pass (text.h says why)
    assert_int_equal (harness_send (alice, "ok\xe2\x80\x8d\xe2\x80\x8e"), 0);
    char line [HOSTILE_LINE];
    snprintf (line, sizeof line, "[general] %s: ok\xe2\x80\x8d\xe2\x80\x8e",
              harness_client_nick (alice));
    assert_non_null (harness_expect (bob, line, HARNESS_TIMEOUT_MS));
    //  Nothing rejected reached bob
    assert_true (harness_marker (alice, "general", &bob, 1));
    assert_int_equal (harness_received_prefix (bob, "[general]"), 2);
}

//  The fields of one message to send; NULL strings stay unset.
typedef struct {
    wire_id_t id;
    uint64_t seq;
    uint64_t client;
    uint64_t epoch;
    const char *gateway;
    const char *room;               //  the topic, for a published message
    const char *nick;
    const char *target;
    const char *text;
} s_fields_t;

//  Send one message; routing_id (or NULL) goes first, on a ROUTER socket.
static void
s_send (zsock_t *sock, const char *routing_id, s_fields_t fields)
{
    wire_msg_t *msg = wire_msg_new (fields.id);
    assert_non_null (msg);
    msg->seq = fields.seq;
    msg->client = fields.client;
    msg->epoch = fields.epoch;
    const char *strings [] = { fields.gateway, fields.room, fields.nick, fields.target,
                               fields.text };
    void (*setters []) (wire_msg_t *, const char *) = {
        wire_msg_set_gateway, wire_msg_set_room, wire_msg_set_nick, wire_msg_set_target,
        wire_msg_set_text
    };
    for (size_t index = 0; index < sizeof strings / sizeof strings [0]; index++)
        if (strings [index])
            setters [index] (msg, strings [index]);
    assert_int_equal (wire_msg_write (msg, zsock_resolve (sock), routing_id, 0), 0);
    wire_msg_destroy (&msg);
}

//  Send one message from the rogue peer.
static void
s_rogue_send (zsock_t *dealer, wire_id_t id, const char *nick, const char *room,
              const char *text)
{
    s_send (dealer, NULL, (s_fields_t) { .id = id, .client = HOSTILE_CLIENT, .nick = nick,
            .room = room, .text = text, .gateway = id == WIRE_HELLO? HOSTILE_ID: NULL });
}

//  Wait for a reply of this id from the router; other replies are dropped.
static bool
s_rogue_expect (zsock_t *dealer, wire_id_t id)
{
    int64_t deadline = harness_now () + HARNESS_TIMEOUT_MS;
    while (harness_now () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (dealer), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) (deadline - harness_now ())) <= 0)
            continue;
        wire_msg_t *msg = wire_msg_read (zsock_resolve (dealer), NULL, ZMQ_DONTWAIT);
        bool match = msg && msg->id == id;
        wire_msg_destroy (&msg);
        if (match)
            return true;
    }
    return false;
}

//  Decode the UTF-8 character at bytes strictly (no overlong forms, no
//  surrogates, nothing past U+10FFFF): its code point, or -1; *length_p
//  gets its length. Written apart from the gateway's own text.c on
//  purpose: this is the test's own idea of a safe byte stream.
static long
s_decode (const uint8_t *bytes, size_t size, size_t *length_p)
{
    static const long minimum [] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t length = bytes [0] < 0x80? 1: bytes [0] < 0xC0? 0: bytes [0] < 0xE0? 2:
                    bytes [0] < 0xF0? 3: bytes [0] < 0xF8? 4: 0;
    *length_p = 1;
    if (length == 0 || length > size)
        return -1;
    long point = length == 1? bytes [0]: bytes [0] & (0x3F >> (length - 1));
    for (size_t index = 1; index < length; index++) {
        if ((bytes [index] & 0xC0) != 0x80)
            return -1;
        point = (point << 6) | (bytes [index] & 0x3F);
    }
    if (point < minimum [length] || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF))
        return -1;
    *length_p = length;
    return point;
}

//  The raw stream may hold only telnet commands (IAC verb option), CRLF
//  line ends, and printable characters: no C0, DEL, C1, bidi control or
//  separator, and no invalid UTF-8. Returns the offset of the first byte
//  that breaks that, or -1.
static long
s_first_unsafe (const char *raw, size_t size)
{
    const uint8_t *bytes = (const uint8_t *) raw;
    size_t index = 0;
    while (index < size) {
        if (bytes [index] == HOSTILE_IAC && index + 2 < size
        &&  bytes [index + 1] >= HOSTILE_WILL && bytes [index + 1] <= HOSTILE_DONT) {
            index += 3;
            continue;
        }
        if (bytes [index] == '\r' && index + 1 < size && bytes [index + 1] == '\n') {
            index += 2;
            continue;
        }
        size_t length;
        long point = s_decode (bytes + index, size - index, &length);
        if (point < 0x20 || (point >= 0x7F && point <= 0x9F)
        ||  (point >= 0x2028 && point <= 0x202E) || (point >= 0x2066 && point <= 0x2069))
            return (long) index;
        index += length;
    }
    return -1;
}

//  Everything the client received so far is safe.
static void
s_assert_safe (harness_client_t *client)
{
    size_t size;
    const char *raw = harness_client_raw (client, &size);
    long unsafe = s_first_unsafe (raw, size);
    if (unsafe >= 0)
        fprintf (stderr, "unsafe byte 0x%02x at offset %ld of %zu\n",
                 (uint8_t) raw [unsafe], unsafe, size);
    assert_int_equal (unsafe, -1);
}

static void
test_rogue_peer_sanitised (void **state)
{
    harness_t *harness = *state;
    harness_proc_t *gateway;
    harness_proc_t *router = harness_start_system (harness, NULL, &gateway, 1, NULL);
    assert_non_null (router);
    harness_client_t *victim = harness_login (harness, gateway);
    assert_non_null (victim);

    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (dealer);
    zsock_set_linger (dealer, 0);
    zsock_set_identity (dealer, HOSTILE_ID);
    assert_int_equal (zsock_connect (dealer, "%s", harness_router_ingress (router)), 0);
    s_rogue_send (dealer, WIRE_HELLO, NULL, NULL, "rogue");
    assert_true (s_rogue_expect (dealer, WIRE_WELCOME));
    s_rogue_send (dealer, WIRE_LOGIN, HOSTILE_NICK, "general", "");
    assert_true (s_rogue_expect (dealer, WIRE_LOGGED_IN));
    char joined [HOSTILE_LINE];
    snprintf (joined, sizeof joined, "* %s joined #general", HOSTILE_NICK);
    assert_non_null (harness_expect (victim, joined, HARNESS_TIMEOUT_MS));

    //  Every class of control, in every free-text field the router relays
    const char *payload = HOSTILE_PAYLOAD;
    s_rogue_send (dealer, WIRE_SAY, NULL, NULL, payload);
    s_rogue_send (dealer, WIRE_ACTION, NULL, NULL, payload);
    s_rogue_send (dealer, WIRE_PRIVMSG, harness_client_nick (victim), NULL, payload);
    assert_true (s_rogue_expect (dealer, WIRE_PRIVATE_SENT));
    s_rogue_send (dealer, WIRE_LOGOUT, NULL, NULL, payload);

    const char *sanitised = HOSTILE_FFFD "[2J" HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD
                            HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD "2J" HOSTILE_FFFD
                            "0;x" HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD
                            HOSTILE_FFFD HOSTILE_FFFD "end";
    char line [HOSTILE_LINE];
    snprintf (line, sizeof line, "[general] %s: %s", HOSTILE_NICK, sanitised);
    assert_non_null (harness_expect (victim, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "[general] * %s %s", HOSTILE_NICK, sanitised);
    assert_non_null (harness_expect (victim, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "[pm from %s] %s", HOSTILE_NICK, sanitised);
    assert_non_null (harness_expect (victim, line, HARNESS_TIMEOUT_MS));
    snprintf (line, sizeof line, "* %s left #general (%s)", HOSTILE_NICK, sanitised);
    assert_non_null (harness_expect (victim, line, HARNESS_TIMEOUT_MS));

    s_assert_safe (victim);
    zsock_destroy (&dealer);
}

//  Play the router on its endpoints: beat a new epoch, welcome the HELLO,
//  answer PROBEs and the resync LOGIN (with a hostile nickname), then send
//  hostile bytes in every field of every line a member sees. True if the
//  gateway's LOGIN came.
static bool
s_hostile_router (const char *ingress, const char *publish)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pub = zsock_new (ZMQ_PUB);
    assert_non_null (router);
    assert_non_null (pub);
    zsock_set_linger (router, 0);
    zsock_set_linger (pub, 0);
    assert_int_not_equal (zsock_bind (router, "%s", ingress), -1);
    assert_int_not_equal (zsock_bind (pub, "%s", publish), -1);
    const char *bad = HOSTILE_PAYLOAD;
    const char *name = HOSTILE_NAME;
    bool logged_in = false;
    int64_t deadline = harness_now () + HOSTILE_RESYNC_MS;
    while (!logged_in && harness_now () < deadline) {
        s_send (pub, NULL, (s_fields_t) { .id = WIRE_BEAT, .epoch = HOSTILE_EPOCH });
        zmq_pollitem_t item = { zsock_resolve (router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, HOSTILE_BEAT_MS) <= 0)
            continue;
        char gateway [WIRE_GATEWAY_MAX + 1];
        wire_msg_t *msg;
        while ((msg = wire_msg_read (zsock_resolve (router), gateway, ZMQ_DONTWAIT))) {
            uint64_t client = msg->client;
            if (msg->id == WIRE_HELLO)
                s_send (router, gateway, (s_fields_t) { .id = WIRE_WELCOME,
                                                        .epoch = HOSTILE_EPOCH });
            else
            if (msg->id == WIRE_PROBE)
                s_send (pub, NULL, (s_fields_t) { .id = WIRE_PROBED, .room = msg->room,
                                                  .gateway = gateway, .client = client });
            else
            if (msg->id == WIRE_LOGIN) {
                //  The session's nickname, its private lines
                s_send (router, gateway, (s_fields_t) { .id = WIRE_LOGGED_IN, .client = client,
                                                        .nick = name, .room = msg->room });
                wire_id_t replies [] = { WIRE_PRIVATE, WIRE_PRIVATE_SENT };
                for (size_t index = 0; index < sizeof replies / sizeof replies [0]; index++)
                    s_send (router, gateway, (s_fields_t) { .id = replies [index],
                            .client = client, .nick = name, .text = bad });
                //  Room traffic from another user, every field hostile
                wire_id_t events [] = { WIRE_JOINED, WIRE_CHAT, WIRE_EMOTE, WIRE_RENAMED,
                                        WIRE_NOTICE, WIRE_LEFT };
                uint64_t seq = 1;
                for (size_t index = 0; index < sizeof events / sizeof events [0]; index++)
                    s_send (pub, NULL, (s_fields_t) { .id = events [index], .seq = seq++,
                            .client = HOSTILE_OTHER, .gateway = "gw-other", .room = "general",
                            .nick = name, .target = name, .text = bad });
                s_send (pub, NULL, (s_fields_t) { .id = WIRE_NOTICE, .seq = seq,
                                                  .room = "general", .text = HOSTILE_DONE });
                logged_in = true;
            }
            wire_msg_destroy (&msg);
        }
    }
    zsock_destroy (&router);
    zsock_destroy (&pub);
    return logged_in;
}

static void
test_hostile_router_fields (void **state)
{
    harness_t *harness = *state;
    harness_endpoints_t endpoints;
    harness_free_endpoints (&endpoints);
    harness_proc_t *router = harness_router_start_at (harness, endpoints.ingress,
                                                      endpoints.publish, endpoints.control,
                                                      s_router_flags);
    assert_non_null (router);
    harness_proc_t *gateway = harness_gateway_start (harness, router, "gw1", s_gateway_flags);
    assert_non_null (gateway);
    harness_client_t *victim = harness_login (harness, gateway);
    assert_non_null (victim);
    harness_proc_kill (router);
    assert_true (s_hostile_router (endpoints.ingress, endpoints.publish));
    assert_non_null (harness_expect (victim, "* " HOSTILE_DONE, HOSTILE_RESYNC_MS));

    //  Each line arrived, every field sanitised
    const char *name = HOSTILE_FFFD "[2J" HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD
                       HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD "n";
    const char *text = HOSTILE_FFFD "[2J" HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD
                       HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD "2J" HOSTILE_FFFD
                       "0;x" HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD HOSTILE_FFFD
                       HOSTILE_FFFD HOSTILE_FFFD "end";
    char lines [][HOSTILE_LINE * 2] = { "", "", "", "", "", "", "", "", "" };
    snprintf (lines [0], sizeof lines [0], "* your nickname is now %s", name);
    snprintf (lines [1], sizeof lines [1], "[pm from %s] %s", name, text);
    snprintf (lines [2], sizeof lines [2], "[pm to %s] %s", name, text);
    snprintf (lines [3], sizeof lines [3], "* %s joined #general", name);
    snprintf (lines [4], sizeof lines [4], "[general] %s: %s", name, text);
    snprintf (lines [5], sizeof lines [5], "[general] * %s %s", name, text);
    snprintf (lines [6], sizeof lines [6], "* %s is now known as %s", name, name);
    snprintf (lines [7], sizeof lines [7], "* %s left #general (%s)", name, text);
    snprintf (lines [8], sizeof lines [8], "* %s", text);
    for (size_t index = 0; index < sizeof lines / sizeof lines [0]; index++)
        assert_int_equal (harness_received_exact (victim, lines [index]), 1);
    s_assert_safe (victim);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_client_lines_rejected, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_rogue_peer_sanitised, harness_setup,
                                         harness_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_router_fields, harness_setup,
                                         harness_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}

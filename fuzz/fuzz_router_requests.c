/*  =========================================================================
    fuzz_router_requests.c - the router's request handling, as a whole

    A gateway is a stranger to the router: a buggy or compromised one may
    send any sequence of well-formed requests. The input is such a
    sequence from four fake gateways (DEALERs on inproc), each request a
    verb the router takes (HELLO, LOGIN, JOIN, SAY, BYE, ...) with fields
    drawn from small sets - a few client ids, nicknames and rooms, so that
    requests collide - or from the input itself. After each request the
    router handles everything waiting, and the target checks that its
    tables still agree:
      - every session is a member of exactly one room, and that room
        lists it (walking all rooms finds each session once);
      - the nickname table and the session table name the same sessions;
      - each room's member count is the length of its member list.
    A fresh router per input keeps every finding reproducible.
    =========================================================================
*/
#include "fuzz.h"
#include "router_internal.h"
#include "room.h"

#define FUZZ_GATEWAYS       4       //  fake gateways per input
#define FUZZ_REQUESTS_MAX   256     //  requests per input
#define FUZZ_CLIENTS        8       //  client ids drawn from 1 .. FUZZ_CLIENTS
#define FUZZ_FREE_FORM      7       //  a field byte of 7 means "take it from the input"

static const wire_id_t s_verbs [] = {
    WIRE_HELLO, WIRE_HEARTBEAT, WIRE_LOGIN, WIRE_LOGOUT, WIRE_JOIN, WIRE_NICK,
    WIRE_SAY, WIRE_ACTION, WIRE_PRIVMSG, WIRE_ROOMS, WIRE_WHO, WIRE_PROBE,
    WIRE_BYE, WIRE_DRAINED, WIRE_HISTORY, WIRE_RECOVER
};
#define FUZZ_VERB_COUNT (sizeof (s_verbs) / sizeof (s_verbs [0]))

static const char *s_nicks [] = { "", "alice", "ALICE", "bob", "guest-1", "x", "carol" };
static const char *s_rooms [] = { "", "general", "rust", "Rust", "#rust", "go", "a\nb" };
static const char *s_texts [] = { "", "resync", "hello", "quit", "\x1b[2J", "a b", "idle" };

static unsigned s_run;              //  inputs so far: fresh inproc names each

//  A field value: one of the set, or up to max bytes of the input (no NUL).
static void
s_string_field (fuzz_input_t *input, const char **set, size_t max, char *buffer)
{
    uint8_t choice = fuzz_byte (input) % (FUZZ_FREE_FORM + 1);
    if (choice < FUZZ_FREE_FORM) {
        snprintf (buffer, max + 1, "%s", set [choice]);
        return;
    }
    size_t taken;
    const uint8_t *bytes = fuzz_slice (input, fuzz_byte (input) % (max + 1), &taken);
    for (size_t index = 0; index < taken; index++)
        buffer [index] = bytes [index]? (char) bytes [index]: '?';
    buffer [taken] = 0;
}

//  Build the next request; the caller destroys it.
static wire_msg_t *
s_request (fuzz_input_t *input, const char *gateway_id)
{
    wire_msg_t *self = wire_msg_new (s_verbs [fuzz_byte (input) % FUZZ_VERB_COUNT]);
    char text [WIRE_TEXT_MAX + 1];
    for (const char *field = wire_id_picture (self->id); *field; field++)
        switch (*field) {
            case 'g':
                //  Mostly our own id; sometimes another's or garbage
                if (fuzz_byte (input) % FUZZ_FREE_FORM)
                    wire_msg_set_gateway (self, gateway_id);
                else {
                    s_string_field (input, s_nicks, WIRE_GATEWAY_MAX, text);
                    wire_msg_set_gateway (self, text);
                }
                break;
            case 'c': self->client = 1 + fuzz_byte (input) % FUZZ_CLIENTS; break;
            case 'm': self->limit = fuzz_byte (input); break;
            case 's': self->seq = fuzz_byte (input); break;
            case 'n': s_string_field (input, s_nicks, CHAT_NICK_MAX, text);
                      wire_msg_set_nick (self, text); break;
            case 'r': s_string_field (input, s_rooms, CHAT_ROOM_MAX, text);
                      wire_msg_set_room (self, text); break;
            case 'x': s_string_field (input, s_texts, WIRE_TEXT_MAX, text);
                      wire_msg_set_text (self, text); break;
            default:  FUZZ_CHECK (!"a picture letter no request has");
        }
    return self;
}

//  The tables agree (see the header).
static void
s_check_invariants (router_t *router)
{
    size_t members = 0;
    for (room_t *room = rooms_first (router->rooms); room; room = rooms_next (router->rooms)) {
        size_t count = 0;
        for (session_t *session = room_first_member (room); session; session = session->room_next) {
            FUZZ_CHECK (session->room == room);
            FUZZ_CHECK (sessions_lookup (router->sessions, session->gateway, session->client)
                        == session);
            FUZZ_CHECK (nicks_lookup (router->nicks, session->nick) == session);
            count++;
        }
        FUZZ_CHECK (count == room_member_count (room));
        members += count;
    }
    FUZZ_CHECK (members == sessions_size (router->sessions));
    FUZZ_CHECK (nicks_size (router->nicks) == sessions_size (router->sessions));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zsys_set_logstream (NULL);
    s_run++;
    router_config_t config;
    router_config_defaults (&config);
    char *ingress = zsys_sprintf ("inproc://fuzz-ingress-%u", s_run);
    char *publish = zsys_sprintf ("inproc://fuzz-publish-%u", s_run);
    char *control = zsys_sprintf ("inproc://fuzz-control-%u", s_run);
    config.ingress = ingress;
    config.publish = publish;
    config.control = control;
    router_t *router = router_new (&config);
    FUZZ_CHECK (router);

    zsock_t *gateways [FUZZ_GATEWAYS];
    char ids [FUZZ_GATEWAYS][WIRE_GATEWAY_MAX + 1];
    for (int index = 0; index < FUZZ_GATEWAYS; index++) {
        snprintf (ids [index], sizeof (ids [index]), "gw%d", index);
        gateways [index] = zsock_new (ZMQ_DEALER);
        zsock_set_identity (gateways [index], ids [index]);
        FUZZ_CHECK (zsock_connect (gateways [index], "%s", ingress) == 0);
    }
    fuzz_input_t input = { data, size };
    for (int count = 0; input.size > 0 && count < FUZZ_REQUESTS_MAX; count++) {
        int gateway = fuzz_byte (&input) % FUZZ_GATEWAYS;
        wire_msg_t *request = s_request (&input, ids [gateway]);
        FUZZ_CHECK (wire_msg_write (request, zsock_resolve (gateways [gateway]), NULL, 0) == 0);
        wire_msg_destroy (&request);
        while (router_handle_ingress (router) == 0)
            ;
        s_check_invariants (router);
    }
    for (int index = 0; index < FUZZ_GATEWAYS; index++)
        zsock_destroy (&gateways [index]);
    router_destroy (&router);
    zstr_free (&ingress);
    zstr_free (&publish);
    zstr_free (&control);
    return 0;
}

/*  =========================================================================
    fuzz_wire_roundtrip.c - decode (encode (m)) == m for messages built here

    The input chooses a verb and the value of every field its picture
    names, within the limits wire.h documents (string lengths, no NUL; a
    published message's room is a valid topic). The message then goes
    out both ways the tiers send - as a zmsg (wire_msg_encode) and field
    by field onto a socket (wire_msg_write) - and must come back equal
    from both. So the encoder and decoder cannot drift apart: a limit
    changed on one side only, or a verb whose picture differs between
    them, fails here.
    =========================================================================
*/
#include "fuzz.h"
#include "wire.h"
#include "wire_compare.h"

#define FUZZ_ENTRIES_MAX    16      //  list entries built per message

static wire_pair_t s_pair;             //  made once per process

//  A string of at most max bytes, with no NUL (NUL bytes become 'x'),
//  at least min bytes long (padded with 'a'). Caller frees.
static char *
s_string (fuzz_input_t *input, size_t min, size_t max)
{
    size_t wanted = fuzz_length (input) % (max + 1);
    size_t taken;
    const uint8_t *bytes = fuzz_slice (input, wanted, &taken);
    size_t size = taken < min? min: taken;
    char *string = (char *) calloc (1, size + 1);
    assert (string);
    for (size_t index = 0; index < size; index++)
        string [index] = index < taken? (bytes [index]? (char) bytes [index]: 'x'): 'a';
    return string;
}

static uint64_t
s_number (fuzz_input_t *input)
{
    uint64_t value = 0;
    for (int index = 0; index < 8; index++)
        value = (value << 8) | fuzz_byte (input);
    return value;
}

static void
s_fill_field (wire_msg_t *self, char field, fuzz_input_t *input)
{
    char *text = NULL;
    switch (field) {
        case 'g': text = s_string (input, 0, WIRE_GATEWAY_MAX);
                  wire_msg_set_gateway (self, text); break;
        case 'c': self->client = s_number (input); break;
        case 's': self->seq = s_number (input); break;
        case 'e': self->epoch = s_number (input); break;
        case 'm': self->limit = s_number (input); break;
        case 'k': self->total = s_number (input); break;
        case 'w': self->time = s_number (input); break;
        case 'r': text = s_string (input, 0, CHAT_ROOM_MAX);
                  wire_msg_set_room (self, text); break;
        case 'n': text = s_string (input, 0, CHAT_NICK_MAX);
                  wire_msg_set_nick (self, text); break;
        case 't': text = s_string (input, 0, CHAT_NICK_MAX);
                  wire_msg_set_target (self, text); break;
        case 'x': text = s_string (input, 0, WIRE_TEXT_MAX);
                  wire_msg_set_text (self, text); break;
        case 'l': {
            size_t count = fuzz_byte (input) % (FUZZ_ENTRIES_MAX + 1);
            for (size_t index = 0; index < count; index++) {
                char *name = s_string (input, 0, WIRE_TEXT_MAX);
                wire_msg_add_entry (self, name, s_number (input));
                free (name);
            }
            break;
        }
        default:  FUZZ_CHECK (!"a picture letter this target does not know");
    }
    free (text);
}

static wire_msg_t *
s_build (fuzz_input_t *input)
{
    wire_id_t id = (wire_id_t) (1 + fuzz_byte (input) % (WIRE_ID_COUNT - 1));
    wire_msg_t *self = wire_msg_new (id);
    if (id == WIRE_BEAT || id == WIRE_DRAIN)
        wire_msg_set_room (self, WIRE_TOPIC_CONTROL);
    else
    if (wire_id_is_published (id)) {
        //  The topic's room: 1 .. CHAT_ROOM_MAX bytes, none of them NUL,
        //  and not the control topic (no room name can be: '$' is never
        //  valid in one, and the decoder rightly refuses room traffic there)
        char *room = s_string (input, 1, CHAT_ROOM_MAX);
        if (streq (room, WIRE_TOPIC_CONTROL))
            room [0] = 'x';
        wire_msg_set_room (self, room);
        free (room);
    }
    for (const char *field = wire_id_picture (id); *field; field++)
        s_fill_field (self, *field, input);
    return self;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_pair_setup (&s_pair, "inproc://fuzz-wire-roundtrip");
    fuzz_input_t input = { data, size };
    wire_msg_t *built = s_build (&input);

    zmsg_t *encoded = wire_msg_encode (built);
    wire_msg_t *decoded = wire_msg_decode (&encoded);
    FUZZ_CHECK (decoded);
    FUZZ_CHECK (wire_compare (built, decoded));

    FUZZ_CHECK (wire_msg_write (built, zsock_resolve (s_pair.writer), NULL, 0) == 0);
    wire_msg_t *read = wire_msg_read (zsock_resolve (s_pair.reader), NULL, 0);
    FUZZ_CHECK (read);
    FUZZ_CHECK (wire_compare (built, read));

    wire_msg_destroy (&read);
    wire_msg_destroy (&decoded);
    wire_msg_destroy (&built);
    return 0;
}

/*  =========================================================================
    fuzz_wire_decode.c - the wire decoder against arbitrary frames

    The router decodes whatever any gateway sends and a gateway whatever
    arrives on its SUB, so neither may trust a frame. The input is a
    list of frames (a 16-bit length, then that many bytes, repeated);
    the target decodes them both ways the tiers do - from a zmsg
    (wire_msg_decode) and straight off a socket (wire_msg_read, here an
    inproc PAIR) - and checks that:
      - the two decoders agree: both reject, or both accept the same message;
      - an accepted message encodes to frames that decode to it again
        (what the decoder accepts, the encoder can say).
    =========================================================================
*/
#include "fuzz.h"
#include "wire.h"
#include "wire_compare.h"

#define FUZZ_FRAMES_MAX     64      //  frames per input; more only repeats

static wire_pair_t s_pair;             //  made once per process

//  Split the input into frames, as a zmsg.
static zmsg_t *
s_frames (const uint8_t *data, size_t size)
{
    fuzz_input_t input = { data, size };
    zmsg_t *msg = zmsg_new ();
    while (input.size > 0 && zmsg_size (msg) < FUZZ_FRAMES_MAX) {
        size_t taken;
        const uint8_t *frame = fuzz_slice (&input, fuzz_length (&input), &taken);
        zmsg_addmem (msg, frame, taken);
    }
    return msg;
}

//  Decode the same frames off the socket.
static wire_msg_t *
s_read_from_socket (zmsg_t *msg)
{
    zmsg_t *copy = zmsg_dup (msg);
    if (zmsg_size (copy) == 0) {
        zmsg_destroy (&copy);
        return NULL;            //  a message has at least one frame
    }
    int rc = zmsg_send (&copy, s_pair.writer);
    assert (rc == 0);
    return wire_msg_read (zsock_resolve (s_pair.reader), NULL, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_pair_setup (&s_pair, "inproc://fuzz-wire-decode");
    zmsg_t *msg = s_frames (data, size);
    wire_msg_t *from_socket = s_read_from_socket (msg);
    wire_msg_t *decoded = wire_msg_decode (&msg);
    FUZZ_CHECK ((decoded == NULL) == (from_socket == NULL));
    if (decoded) {
        FUZZ_CHECK (wire_compare (decoded, from_socket));
        zmsg_t *encoded = wire_msg_encode (decoded);
        wire_msg_t *again = wire_msg_decode (&encoded);
        FUZZ_CHECK (again);
        FUZZ_CHECK (wire_compare (decoded, again));
        wire_msg_destroy (&again);
    }
    wire_msg_destroy (&decoded);
    wire_msg_destroy (&from_socket);
    return 0;
}

/*  =========================================================================
    telnet.c - telnet negotiation in a client's byte stream

    A byte-at-a-time state machine that resumes across reads. The common
    case, a read with no IAC byte at all while in the data state, is one
    memchr and no copy. Option state is RFC 1143's: for each option we
    implement and each side, NO, YES or WANTYES (we asked, no answer yet),
    two bits each in telnet_t.options.
    =========================================================================
*/
#include "telnet.h"

typedef enum {
    TELNET_STATE_DATA = 0,      //  plain data
    TELNET_STATE_IAC,           //  after IAC
    TELNET_STATE_OPTION,        //  after IAC WILL/WONT/DO/DONT, option next
    TELNET_STATE_SB,            //  inside subnegotiation
    TELNET_STATE_SB_IAC         //  IAC inside subnegotiation
} telnet_state_t;

//  RFC 1143 states of one option on one side
#define TELNET_Q_NO         0
#define TELNET_Q_YES        1
#define TELNET_Q_WANTYES    2
#define TELNET_Q_BITS       2
#define TELNET_Q_MASK       3
#define TELNET_SIDE_LOCAL   0   //  ours: the peer's DO/DONT, our WILL/WONT
#define TELNET_SIDE_REMOTE  1   //  the peer's: its WILL/WONT, our DO/DONT
#define TELNET_SIDES        2

void
telnet_init (telnet_t *self)
{
    assert (self);
    self->state = TELNET_STATE_DATA;
    self->command = 0;
    self->options = 0;
}

//  Index of an option we implement, or -1.
static int
s_slot (uint8_t option)
{
    if (option == TELNET_BINARY)
        return 0;
    if (option == TELNET_SGA)
        return 1;
    return -1;
}

static int
s_shift (int slot, int side)
{
    return (slot * TELNET_SIDES + side) * TELNET_Q_BITS;
}

static uint8_t
s_get (telnet_t *self, int slot, int side)
{
    return (self->options >> s_shift (slot, side)) & TELNET_Q_MASK;
}

static void
s_set (telnet_t *self, int slot, int side, uint8_t q)
{
    int shift = s_shift (slot, side);
    self->options = (uint8_t) ((self->options & ~(TELNET_Q_MASK << shift)) | (q << shift));
}

static void
s_send (uint8_t verb, uint8_t option, telnet_reply_fn *reply, void *arg)
{
    if (reply) {
        uint8_t bytes [TELNET_REPLY_SIZE] = { TELNET_IAC, verb, option };
        reply (arg, bytes, sizeof (bytes));
    }
}

void
telnet_offer (telnet_t *self, telnet_reply_fn *reply, void *arg)
{
    assert (self);
    int slot = s_slot (TELNET_BINARY);
    if (s_get (self, slot, TELNET_SIDE_LOCAL) == TELNET_Q_NO) {
        s_set (self, slot, TELNET_SIDE_LOCAL, TELNET_Q_WANTYES);
        s_send (TELNET_WILL, TELNET_BINARY, reply, arg);
    }
    if (s_get (self, slot, TELNET_SIDE_REMOTE) == TELNET_Q_NO) {
        s_set (self, slot, TELNET_SIDE_REMOTE, TELNET_Q_WANTYES);
        s_send (TELNET_DO, TELNET_BINARY, reply, arg);
    }
}

bool
telnet_local (telnet_t *self, uint8_t option)
{
    assert (self);
    int slot = s_slot (option);
    return slot >= 0 && s_get (self, slot, TELNET_SIDE_LOCAL) == TELNET_Q_YES;
}

bool
telnet_remote (telnet_t *self, uint8_t option)
{
    assert (self);
    int slot = s_slot (option);
    return slot >= 0 && s_get (self, slot, TELNET_SIDE_REMOTE) == TELNET_Q_YES;
}

//  WILL/WONT/DO/DONT option from the peer. An option we do not implement
//  stays off: DO gets WONT, WILL gets DONT, WONT/DONT need no answer. One
//  we do: a request that changes its state is agreed to (WILL/DO) or
//  acknowledged (WONT/DONT); the answer to our own request, or a request
//  for the state it already has, changes nothing and gets no reply.
static void
s_negotiate (telnet_t *self, uint8_t option, telnet_reply_fn *reply, void *arg)
{
    bool remote = self->command == TELNET_WILL || self->command == TELNET_WONT;
    bool enable = self->command == TELNET_WILL || self->command == TELNET_DO;
    int slot = s_slot (option);
    if (slot < 0) {
        if (enable)
            s_send (remote? TELNET_DONT: TELNET_WONT, option, reply, arg);
        return;
    }
    int side = remote? TELNET_SIDE_REMOTE: TELNET_SIDE_LOCAL;
    uint8_t q = s_get (self, slot, side);
    if (enable) {
        if (q == TELNET_Q_NO)
            s_send (remote? TELNET_DO: TELNET_WILL, option, reply, arg);
        s_set (self, slot, side, TELNET_Q_YES);
    }
    else {
        if (q == TELNET_Q_YES)
            s_send (remote? TELNET_DONT: TELNET_WONT, option, reply, arg);
        s_set (self, slot, side, TELNET_Q_NO);
    }
}

size_t
telnet_filter (telnet_t *self, uint8_t *data, size_t size,
               telnet_reply_fn *reply, void *arg)
{
    assert (self);
    if (self->state == TELNET_STATE_DATA && !memchr (data, TELNET_IAC, size))
        return size;

    size_t kept = 0;
    for (size_t index = 0; index < size; index++) {
        uint8_t byte = data [index];
        switch (self->state) {
            case TELNET_STATE_DATA:
                if (byte == TELNET_IAC)
                    self->state = TELNET_STATE_IAC;
                else
                    data [kept++] = byte;
                break;
            case TELNET_STATE_IAC:
                if (byte == TELNET_IAC) {
                    data [kept++] = byte;
                    self->state = TELNET_STATE_DATA;
                }
                else
                if (byte >= TELNET_WILL && byte <= TELNET_DONT) {
                    self->command = byte;
                    self->state = TELNET_STATE_OPTION;
                }
                else
                if (byte == TELNET_SB)
                    self->state = TELNET_STATE_SB;
                else {
                    //  IAC x is two bytes and we keep at most one: in place
                    if (byte == TELNET_EC)
                        data [kept++] = TELNET_EC_DATA;
                    else
                    if (byte == TELNET_EL)
                        data [kept++] = TELNET_EL_DATA;
                    self->state = TELNET_STATE_DATA;    //  NOP, GA, AYT, ...
                }
                break;
            case TELNET_STATE_OPTION:
                s_negotiate (self, byte, reply, arg);
                self->command = 0;
                self->state = TELNET_STATE_DATA;
                break;
            case TELNET_STATE_SB:
                if (byte == TELNET_IAC)
                    self->state = TELNET_STATE_SB_IAC;
                break;
            case TELNET_STATE_SB_IAC:
                //  IAC SE ends it; IAC IAC is an escaped 255 inside
                self->state = byte == TELNET_SE? TELNET_STATE_DATA: TELNET_STATE_SB;
                break;
            default:
                assert (false);
        }
    }
    return kept;
}

/*  =========================================================================
    telnet.c - strip and refuse telnet negotiation in a client's byte stream

    A byte-at-a-time state machine that resumes across reads. The common
    case, a read with no IAC byte at all while in the data state, is one
    memchr and no copy.
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

void
telnet_init (telnet_t *self)
{
    assert (self);
    self->state = TELNET_STATE_DATA;
    self->command = 0;
}

//  Answer an option: refuse what the peer asks of us or offers.
static void
s_refuse (telnet_t *self, uint8_t option, telnet_reply_fn *reply, void *arg)
{
    uint8_t answer;
    if (self->command == TELNET_DO)
        answer = TELNET_WONT;
    else
    if (self->command == TELNET_WILL)
        answer = TELNET_DONT;
    else
        return;                 //  WONT/DONT need no answer (avoids loops)
    if (reply) {
        uint8_t bytes [TELNET_REPLY_SIZE] = { TELNET_IAC, answer, option };
        reply (arg, bytes, sizeof (bytes));
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
                else
                    self->state = TELNET_STATE_DATA;    //  NOP, GA, AYT, ...
                break;
            case TELNET_STATE_OPTION:
                s_refuse (self, byte, reply, arg);
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

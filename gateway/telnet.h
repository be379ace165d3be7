/*  =========================================================================
    telnet.h - strip and refuse telnet negotiation in a client's byte stream

    A resumable filter (the state lives in telnet_t, not on the stack, the
    way nginx's parsers work): bytes arrive in arbitrary pieces, an IAC
    sequence may be split across reads at any byte. Data bytes are kept,
    IAC IAC becomes one 0xFF data byte, commands and subnegotiation
    (IAC SB ... IAC SE) are removed. Every option is refused: DO x is
    answered with WONT x, WILL x with DONT x, through a reply callback
    (the client queues the answer on its output).
    =========================================================================
*/
#ifndef TELNET_H_INCLUDED
#define TELNET_H_INCLUDED

#include "chat.h"

//  Telnet bytes (RFC 854)
#define TELNET_IAC      255
#define TELNET_DONT     254
#define TELNET_DO       253
#define TELNET_WONT     252
#define TELNET_WILL     251
#define TELNET_SB       250
#define TELNET_SE       240
#define TELNET_REPLY_SIZE 3     //  IAC WONT|DONT option

//  Filter state, embedded in each client (two bytes).
typedef struct {
    uint8_t state;              //  where the parser stands (telnet.c)
    uint8_t command;            //  WILL/WONT/DO/DONT awaiting its option
} telnet_t;

//  Receives one reply (TELNET_REPLY_SIZE bytes) to send to the peer.
typedef void (telnet_reply_fn) (void *arg, const uint8_t *reply, size_t size);

//  Reset to the initial (data) state.
void
    telnet_init (telnet_t *self);

//  Filter size bytes of data in place: the kept data bytes are moved to the
//  front of data and their count is returned. reply (may be NULL) is called
//  for each refusal to send.
size_t
    telnet_filter (telnet_t *self, uint8_t *data, size_t size,
                   telnet_reply_fn *reply, void *arg);

#endif

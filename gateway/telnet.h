/*  =========================================================================
    telnet.h - telnet negotiation in a client's byte stream

    A resumable filter (the state lives in telnet_t, not on the stack, the
    way nginx's parsers work): bytes arrive in arbitrary pieces, an IAC
    sequence may be split across reads at any byte. Data bytes are kept,
    IAC IAC becomes one 0xFF data byte, other commands and subnegotiation
    (IAC SB ... IAC SE) are removed, except the two editing commands,
    which become the data bytes a keyboard would have sent: IAC EC (erase
    character) becomes DEL and IAC EL (erase line) becomes Ctrl+U (NAK),
    for linebuf.c to apply.

    Options (RFC 1143's "Q method", without the queue since we never
    change our mind): BINARY (RFC 856) and SUPPRESS-GO-AHEAD (RFC 858) are
    agreed to in both directions; every other option is refused (DO x gets
    WONT x, WILL x gets DONT x). An answer is sent only when the option's
    state changes, never to an answer of our own request, so negotiation
    cannot loop. telnet_offer asks for BINARY both ways at connect: a
    telnet client that is not in binary mode takes the bytes 0x80-0x9F of
    UTF-8 for its own special characters (so 本 would reach us as
    e6 ff f3 ff fd 06 ac), and telnet clients negotiate nothing by
    themselves on a port other than 23. Replies go through a callback (the
    client queues them on its output).
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
#define TELNET_EL       248     //  erase line
#define TELNET_EC       247     //  erase character
#define TELNET_SE       240
#define TELNET_REPLY_SIZE 3     //  IAC verb option

//  Options zchat agrees to
#define TELNET_BINARY   0       //  RFC 856
#define TELNET_SGA      3       //  RFC 858, suppress go-ahead

//  What the editing commands become in the data (see linebuf.h)
#define TELNET_EC_DATA  0x7F    //  DEL
#define TELNET_EL_DATA  0x15    //  NAK, Ctrl+U

//  Filter state, embedded in each client (three bytes).
typedef struct {
    uint8_t state;              //  where the parser stands (telnet.c)
    uint8_t command;            //  WILL/WONT/DO/DONT awaiting its option
    uint8_t options;            //  2 bits per option and side (telnet.c)
} telnet_t;

//  Receives one reply (TELNET_REPLY_SIZE bytes) to send to the peer.
typedef void (telnet_reply_fn) (void *arg, const uint8_t *reply, size_t size);

//  Reset to the initial state: data, every option off.
void
    telnet_init (telnet_t *self);

//  Ask for BINARY both ways: IAC WILL BINARY, IAC DO BINARY through reply
//  (may be NULL). The peer's answers then settle without a reply.
void
    telnet_offer (telnet_t *self, telnet_reply_fn *reply, void *arg);

//  Filter size bytes of data in place: the kept data bytes are moved to the
//  front of data and their count is returned. reply (may be NULL) is called
//  for each answer to send.
size_t
    telnet_filter (telnet_t *self, uint8_t *data, size_t size,
                   telnet_reply_fn *reply, void *arg);

//  True when option is on for our side (we WILL) / the peer's (it WILL).
bool
    telnet_local (telnet_t *self, uint8_t option);
bool
    telnet_remote (telnet_t *self, uint8_t option);

#endif

/*  =========================================================================
    flood.h - a token bucket over lines: how fast one client may send

    Each complete line a client sends costs one token; the bucket holds at
    most burst tokens and refills at rate tokens per second. An empty
    bucket does not drop anything: the caller (client.c) keeps the line
    and stops reading the client's socket until flood_take says a token
    is there (fakelag), so TCP pushes back on the sender.

    Pure arithmetic on the caller's clock, no allocation: one flood_t
    lives inside each client. Tokens are kept in thousandths of a line,
    so a rate of a few lines per second refills smoothly at millisecond
    resolution.
    =========================================================================
*/
#ifndef FLOOD_H_INCLUDED
#define FLOOD_H_INCLUDED

#include "chat.h"

#define FLOOD_SCALE         1000        //  token units per line

//  The settings (--rate-lines, --rate-burst); rate 0 = flood control off.
typedef struct {
    uint32_t rate;              //  lines per second
    uint32_t burst;             //  lines sent at once before the rate applies
} flood_limits_t;

typedef struct {
    int64_t tokens;             //  in 1/FLOOD_SCALE lines, at most burst lines
    int64_t stamp;              //  ms of the last refill
    bool throttled;             //  an episode is on: told once, until the bucket is full
} flood_t;

//  A full bucket at time now.
void
    flood_init (flood_t *self, const flood_limits_t *limits, int64_t now);

//  True when flood control is on (rate > 0).
bool
    flood_enabled (const flood_limits_t *limits);

//  Take the token for one line at time now. Returns 0 when taken (or
//  flood control is off), else the ms until a token is there.
int64_t
    flood_take (flood_t *self, const flood_limits_t *limits, int64_t now);

//  Give back the token of a line the owner could not take (it is offered
//  again later and pays then).
void
    flood_give_back (flood_t *self, const flood_limits_t *limits);

//  True once per throttling episode: the first time it is asked after the
//  bucket ran empty. An episode ends when the bucket has refilled fully
//  (the client paused for burst / rate seconds).
bool
    flood_tell (flood_t *self);

#endif

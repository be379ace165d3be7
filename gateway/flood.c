/*  =========================================================================
    flood.c - a token bucket over lines: how fast one client may send

    Implements flood.h. The refill is computed lazily at each take from
    the time elapsed since the last one, so an idle client costs nothing
    and no timer runs per client unless it is throttled (client.c arms
    one then, for the ms flood_take returns).
    =========================================================================
*/
#include "flood.h"

#define FLOOD_MS_PER_SECOND     1000

bool
flood_enabled (const flood_limits_t *limits)
{
    assert (limits);
    return limits->rate > 0;
}

//  burst 0 with a rate means one line at a time
static int64_t
s_capacity (const flood_limits_t *limits)
{
    return (int64_t) MAX (limits->burst, 1) * FLOOD_SCALE;
}

void
flood_init (flood_t *self, const flood_limits_t *limits, int64_t now)
{
    assert (self);
    self->tokens = s_capacity (limits);
    self->stamp = now;
    self->throttled = false;
}

//  Add what rate lines per second earned since the stamp, up to burst.
//  rate lines/s is rate units per ms in FLOOD_SCALE units per line.
static void
s_refill (flood_t *self, const flood_limits_t *limits, int64_t now)
{
    if (now <= self->stamp)
        return;
    int64_t capacity = s_capacity (limits);
    int64_t elapsed = now - self->stamp;
    int64_t earned = elapsed * (int64_t) limits->rate * FLOOD_SCALE / FLOOD_MS_PER_SECOND;
    self->stamp = now;
    self->tokens = earned >= capacity - self->tokens? capacity: self->tokens + earned;
    if (self->tokens == capacity)
        self->throttled = false;    //  the episode is over
}

int64_t
flood_take (flood_t *self, const flood_limits_t *limits, int64_t now)
{
    assert (self);
    assert (limits);
    if (!flood_enabled (limits))
        return 0;
    s_refill (self, limits, now);
    if (self->tokens >= FLOOD_SCALE) {
        self->tokens -= FLOOD_SCALE;
        return 0;
    }
    //  Round up: waking a millisecond early would find no token again
    int64_t missing = FLOOD_SCALE - self->tokens;
    int64_t per_second = (int64_t) limits->rate * FLOOD_SCALE;
    return (missing * FLOOD_MS_PER_SECOND + per_second - 1) / per_second;
}

void
flood_give_back (flood_t *self, const flood_limits_t *limits)
{
    assert (self);
    if (flood_enabled (limits))
        self->tokens = MIN (self->tokens + FLOOD_SCALE, s_capacity (limits));
}

bool
flood_tell (flood_t *self)
{
    assert (self);
    if (self->throttled)
        return false;
    self->throttled = true;
    return true;
}

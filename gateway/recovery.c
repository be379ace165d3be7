/*  =========================================================================
    recovery.c - one room's missed range, being fetched from the history

    See recovery.h. Held messages are a FIFO (zlistx) of decoded wire
    messages: they go through fan-out again, in order, once the range is
    in, so membership events among them still take effect.
    =========================================================================
*/
#include "recovery.h"

struct _recovery_t {
    uint64_t from;              //  first seq missed
    uint64_t to;                //  last seq missed
    uint64_t next;              //  first seq still to ask for
    int64_t deadline;           //  give up then
    uint64_t recovered;         //  lines that came back
    zlistx_t *held;             //  wire_msg_t *, oldest first
};

recovery_t *
recovery_new (uint64_t from, uint64_t to, int64_t deadline)
{
    assert (from <= to);
    recovery_t *self = (recovery_t *) zmalloc (sizeof (recovery_t));
    assert (self);
    self->from = from;
    self->to = to;
    self->next = from;
    self->deadline = deadline;
    self->held = zlistx_new ();
    assert (self->held);
    return self;
}

void
recovery_destroy (recovery_t **self_p)
{
    assert (self_p);
    recovery_t *self = *self_p;
    if (!self)
        return;
    wire_msg_t *msg;
    while ((msg = recovery_next (self)))
        wire_msg_destroy (&msg);
    zlistx_destroy (&self->held);
    free (self);
    *self_p = NULL;
}

bool
recovery_hold (recovery_t *self, wire_msg_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    zlistx_add_end (self->held, *msg_p);
    *msg_p = NULL;
    return zlistx_size (self->held) < RECOVERY_HOLD_MAX;
}

wire_msg_t *
recovery_next (recovery_t *self)
{
    assert (self);
    return (wire_msg_t *) zlistx_detach (self->held, NULL);
}

void
recovery_got (recovery_t *self)
{
    assert (self);
    self->recovered++;
}

uint64_t
recovery_answered (recovery_t *self, uint64_t last_seq)
{
    assert (self);
    if (last_seq == 0 || last_seq >= self->to)
        return 0;
    self->next = last_seq + 1;
    return self->next;
}

uint64_t
recovery_missed (recovery_t *self)
{
    assert (self);
    return self->to - self->from + 1 - self->recovered;
}

uint64_t
recovery_first (recovery_t *self)
{
    assert (self);
    return self->from;
}

uint64_t
recovery_from (recovery_t *self)
{
    assert (self);
    return self->next;
}

uint64_t
recovery_to (recovery_t *self)
{
    assert (self);
    return self->to;
}

bool
recovery_late (recovery_t *self, int64_t now)
{
    assert (self);
    return now > self->deadline;
}

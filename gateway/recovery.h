/*  =========================================================================
    recovery.h - one room's missed range, being fetched from the history

    When a room's sequence numbers jump (the SUB dropped messages at its
    high-water mark), fan-out asks the router for the missing range
    (RECOVER) and holds the room's later traffic here, in order, until the
    answer is in: the recovered lines go to the members first, then
    "! missed N messages" for what the history no longer holds, then the
    held traffic. Other rooms go on meanwhile. A recovery not answered by
    its deadline, or holding RECOVERY_HOLD_MAX messages, is given up:
    what did not come back by then counts as missed.
    =========================================================================
*/
#ifndef RECOVERY_H_INCLUDED
#define RECOVERY_H_INCLUDED

#include "chat.h"
#include "wire.h"

#define RECOVERY_TIMEOUT_MS     5000        //  give up waiting for the answer after
#define RECOVERY_HOLD_MAX       100000      //  messages held behind one recovery

typedef struct _recovery_t recovery_t;

//  A recovery of seqs from .. to (inclusive), given up at deadline (ms).
recovery_t *
    recovery_new (uint64_t from, uint64_t to, int64_t deadline);

//  Destroy it and what it still holds; NULL-safe.
void
    recovery_destroy (recovery_t **self_p);

//  Hold a message that came after the gap (takes it). Returns false when
//  the recovery holds RECOVERY_HOLD_MAX already (then it is still held:
//  the caller gives the recovery up).
bool
    recovery_hold (recovery_t *self, wire_msg_t **msg_p);

//  The oldest message held, for the caller to destroy; NULL when none.
wire_msg_t *
    recovery_next (recovery_t *self);

//  One line of the range came back.
void
    recovery_got (recovery_t *self);

//  An answer ended with its last seq (0: it was empty). Returns the seq to
//  ask again from, or 0 when the range is done (nothing more can come).
uint64_t
    recovery_answered (recovery_t *self, uint64_t last_seq);

//  Seqs of the range that did not come back: messages missed for good
//  (lines the history no longer holds, and joins or leaves, never kept).
uint64_t
    recovery_missed (recovery_t *self);

//  First seq of the whole range; first and last seq still to come.
uint64_t
    recovery_first (recovery_t *self);
uint64_t
    recovery_from (recovery_t *self);
uint64_t
    recovery_to (recovery_t *self);

//  True if the deadline has passed at now.
bool
    recovery_late (recovery_t *self, int64_t now);

#endif

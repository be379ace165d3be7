/*  =========================================================================
    track.c - what one receiver got from one sender

    A bitmap indexed by sequence number, grown in doublings as the sender's
    sequence climbs. The whole run's bitmaps take one bit per expected
    delivery, so even a million deliveries a second for a minute fit in a
    few megabytes, and loss, duplication and reordering are counted
    exactly rather than guessed from gaps.
    =========================================================================
*/
#include "loadgen.h"

#define TRACK_WORD_BITS         64
#define TRACK_WORDS_MIN         4

track_result_t
track_record (track_t *self, uint64_t seq)
{
    assert (self);
    if (seq == 0)
        return TRACK_INVALID;
    uint64_t bit = seq - 1;
    size_t word = (size_t) (bit / TRACK_WORD_BITS);
    if (word >= self->words) {
        size_t words = self->words? self->words: TRACK_WORDS_MIN;
        while (words <= word)
            words *= 2;
        uint64_t *bits = (uint64_t *) realloc (self->bits, words * sizeof (uint64_t));
        if (!bits)
            return TRACK_INVALID;
        memset (bits + self->words, 0, (words - self->words) * sizeof (uint64_t));
        self->bits = bits;
        self->words = words;
    }
    uint64_t mask = 1ULL << (bit % TRACK_WORD_BITS);
    if (self->bits [word] & mask)
        return TRACK_DUPLICATE;
    self->bits [word] |= mask;
    self->unique++;
    if (seq < self->max_seq)
        return TRACK_LATE;
    self->max_seq = seq;
    return TRACK_NEW;
}

void
track_reset (track_t *self)
{
    assert (self);
    free (self->bits);
    memset (self, 0, sizeof (*self));
}

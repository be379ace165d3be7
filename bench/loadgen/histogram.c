/*  =========================================================================
    histogram.c - latency percentiles in a log-linear histogram

    Values below HISTOGRAM_LINEAR are counted exactly; above, each power of
    two is split into HISTOGRAM_SUB buckets, so a bucket is at most 1/64 of
    its value wide (HdrHistogram's idea, without its generality). Recording
    is a few instructions, which matters at a million deliveries a second.
    =========================================================================
*/
#include "loadgen.h"

#define HISTOGRAM_SUB_BITS      6
#define HISTOGRAM_SUB           (1 << HISTOGRAM_SUB_BITS)       //  buckets per power of two
#define HISTOGRAM_LINEAR        (2 * HISTOGRAM_SUB)             //  values counted exactly
#define HISTOGRAM_POWERS        64
#define HISTOGRAM_BUCKETS       (HISTOGRAM_LINEAR + HISTOGRAM_POWERS * HISTOGRAM_SUB)
#define HISTOGRAM_PERCENT       100.0

struct _histogram_t {
    uint64_t buckets [HISTOGRAM_BUCKETS];
    uint64_t count;             //  values recorded
    uint64_t max;               //  largest value
    long double sum;            //  for the mean
};

histogram_t *
histogram_new (void)
{
    return (histogram_t *) calloc (1, sizeof (histogram_t));
}

void
histogram_destroy (histogram_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  Bucket of a value: exact below HISTOGRAM_LINEAR, then HISTOGRAM_SUB per
//  power of two (the top HISTOGRAM_SUB_BITS + 1 bits pick the bucket).
static size_t
s_bucket (uint64_t value)
{
    if (value < HISTOGRAM_LINEAR)
        return (size_t) value;
    int msb = 63 - __builtin_clzll (value);
    int shift = msb - HISTOGRAM_SUB_BITS;       //  >= 1 here
    uint64_t top = value >> shift;              //  in [SUB, 2 * SUB)
    return HISTOGRAM_LINEAR + (size_t) (shift - 1) * HISTOGRAM_SUB
         + (size_t) (top - HISTOGRAM_SUB);
}

//  Largest value that falls into a bucket.
static uint64_t
s_bucket_top (size_t bucket)
{
    if (bucket < HISTOGRAM_LINEAR)
        return bucket;
    size_t offset = bucket - HISTOGRAM_LINEAR;
    int shift = (int) (offset / HISTOGRAM_SUB) + 1;
    uint64_t top = HISTOGRAM_SUB + offset % HISTOGRAM_SUB;
    return ((top + 1) << shift) - 1;
}

void
histogram_record (histogram_t *self, uint64_t value)
{
    assert (self);
    self->buckets [s_bucket (value)]++;
    self->count++;
    self->sum += value;
    if (value > self->max)
        self->max = value;
}

uint64_t
histogram_count (histogram_t *self)
{
    assert (self);
    return self->count;
}

uint64_t
histogram_max (histogram_t *self)
{
    assert (self);
    return self->max;
}

uint64_t
histogram_mean (histogram_t *self)
{
    assert (self);
    return self->count? (uint64_t) (self->sum / self->count): 0;
}

uint64_t
histogram_percentile (histogram_t *self, double percent)
{
    assert (self);
    if (self->count == 0)
        return 0;
    //  Rank of the value wanted, 1-based: the smallest value with at least
    //  percent of all values at or below it.
    uint64_t rank = (uint64_t) ((percent / HISTOGRAM_PERCENT) * (double) self->count + 0.5);
    if (rank < 1)
        rank = 1;
    if (rank > self->count)
        rank = self->count;
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket++) {
        seen += self->buckets [bucket];
        if (seen >= rank) {
            uint64_t top = s_bucket_top (bucket);
            return top < self->max? top: self->max;
        }
    }
    return self->max;
}

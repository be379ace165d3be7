/*  =========================================================================
    outbuf.c - a client's output queue, and the pool its memory comes from

    Implements outbuf.h. The pool keeps a stack of spare first-size queues
    and the holders list: every queue holding memory, by pointer, with its
    index stored in the queue so removal swaps the last one into the hole.
    =========================================================================
*/
#include "outbuf.h"
#include <malloc.h>

#define OUTBUF_INITIAL          512         //  first allocation of a queue
#define OUTBUF_POOL_MAX         1024        //  spare first-size queues kept
#define OUTBUF_HOLDERS_INITIAL  64          //  first size of the holders list
#define OUTBUF_TRIM_BYTES       (64 * 1024) //  freed bytes worth a malloc_trim

struct _outbuf_pool_t {
    char **spare;               //  spare OUTBUF_INITIAL-byte queues
    size_t spare_count;         //  queues in spare
    bool spare_used;            //  a queue was taken since the last trim
    size_t freed_bytes;         //  queue memory freed since the last trim
    outbuf_t **holders;         //  queues holding memory (holder_index)
    size_t holder_count;        //  entries in holders
    size_t holder_capacity;     //  entries allocated
};

outbuf_pool_t *
outbuf_pool_new (void)
{
    outbuf_pool_t *self = (outbuf_pool_t *) zmalloc (sizeof (outbuf_pool_t));
    if (!self)
        return NULL;
    self->spare = (char **) malloc (OUTBUF_POOL_MAX * sizeof (char *));
    if (!self->spare) {
        free (self);
        return NULL;
    }
    return self;
}

void
outbuf_pool_destroy (outbuf_pool_t **self_p)
{
    assert (self_p);
    outbuf_pool_t *self = *self_p;
    if (!self)
        return;
    assert (self->holder_count == 0);
    free (self->holders);
    while (self->spare_count)
        free (self->spare [--self->spare_count]);
    free (self->spare);
    free (self);
    *self_p = NULL;
}

size_t
outbuf_pool_holders (outbuf_pool_t *self)
{
    assert (self);
    return self->holder_count;
}

static int
s_holders_add (outbuf_pool_t *self, outbuf_t *outbuf)
{
    if (self->holder_count == self->holder_capacity) {
        size_t capacity = self->holder_capacity? self->holder_capacity * 2: OUTBUF_HOLDERS_INITIAL;
        outbuf_t **holders = (outbuf_t **) realloc (self->holders, capacity * sizeof (outbuf_t *));
        if (!holders)
            return -1;
        self->holders = holders;
        self->holder_capacity = capacity;
    }
    outbuf->holder_index = (uint32_t) self->holder_count;
    self->holders [self->holder_count++] = outbuf;
    return 0;
}

//  The last holder fills the hole.
static void
s_holders_remove (outbuf_pool_t *self, outbuf_t *outbuf)
{
    assert (outbuf->holder_index < self->holder_count
         && self->holders [outbuf->holder_index] == outbuf);
    outbuf_t *last = self->holders [--self->holder_count];
    self->holders [outbuf->holder_index] = last;
    last->holder_index = outbuf->holder_index;
}

int
outbuf_append (outbuf_t *self, outbuf_pool_t *pool, const char *data, size_t size)
{
    assert (self);
    assert (pool);
    if ((size_t) self->end + size > self->capacity) {
        size_t used = outbuf_used (self);
        if (self->start > 0) {
            memmove (self->data, self->data + self->start, used);
            self->start = 0;
            self->end = (uint32_t) used;
        }
        if (used + size > self->capacity) {
            size_t capacity = self->capacity? self->capacity: OUTBUF_INITIAL;
            while (capacity < used + size)
                capacity *= 2;
            if (capacity > UINT32_MAX)
                return -1;
            if (!self->data && s_holders_add (pool, self))
                return -1;
            char *grown;
            if (!self->data && capacity == OUTBUF_INITIAL && pool->spare_count) {
                grown = pool->spare [--pool->spare_count];
                pool->spare_used = true;
            }
            else
                grown = (char *) realloc (self->data, capacity);
            if (!grown) {
                if (!self->data)
                    s_holders_remove (pool, self);
                return -1;
            }
            self->data = grown;
            self->capacity = (uint32_t) capacity;
        }
    }
    memcpy (self->data + self->end, data, size);
    self->end += (uint32_t) size;
    self->recent = true;
    return 0;
}

void
outbuf_free (outbuf_t *self, outbuf_pool_t *pool)
{
    assert (self);
    assert (pool);
    if (!self->data)
        return;
    s_holders_remove (pool, self);
    if (self->capacity == OUTBUF_INITIAL && pool->spare_count < OUTBUF_POOL_MAX)
        pool->spare [pool->spare_count++] = self->data;
    else {
        free (self->data);
        pool->freed_bytes += self->capacity;
    }
    self->data = NULL;
    self->start = self->end = self->capacity = 0;
}

void
outbuf_drained (outbuf_t *self, outbuf_pool_t *pool)
{
    assert (self);
    assert (outbuf_used (self) == 0);
    if (self->capacity == OUTBUF_INITIAL)
        outbuf_free (self, pool);
}

void
outbuf_pool_release_idle (outbuf_pool_t *self)
{
    assert (self);
    //  Backwards: a removal moves the last holder into the hole
    for (size_t index = self->holder_count; index > 0; index--) {
        outbuf_t *outbuf = self->holders [index - 1];
        if (outbuf_used (outbuf) == 0 && !outbuf->recent)
            outbuf_free (outbuf, self);
        else
            outbuf->recent = false;
    }
}

void
outbuf_pool_trim (outbuf_pool_t *self)
{
    assert (self);
    //  glibc keeps freed pages otherwise, and idle RSS would stay at the
    //  peak of a burst (a join storm fills every queue)
    if (!self->spare_used) {
        size_t keep = self->spare_count / 2;
        while (self->spare_count > keep) {
            free (self->spare [--self->spare_count]);
            self->freed_bytes += OUTBUF_INITIAL;
        }
        if (self->freed_bytes >= OUTBUF_TRIM_BYTES) {
            malloc_trim (0);
            self->freed_bytes = 0;
        }
    }
    self->spare_used = false;
}

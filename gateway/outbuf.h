/*  =========================================================================
    outbuf.h - a client's output queue, and the pool its memory comes from

    An outbuf_t is the bytes queued for one connection: appended at the
    end, sent from the start. It owns memory only while it is in use: the
    first allocation is OUTBUF_INITIAL bytes, growth is geometric, and the
    caller enforces the byte cap (client.c counts skipped lines).

    The pool, one per client set, makes the churn cheap. A queue that
    drains keeps its memory (a busy room refills it every pass); the
    pool's holders list lets outbuf_pool_release_idle give back only the
    queues that stayed empty since its last call. Given-back first-size
    queues wait in the pool for the next taker; outbuf_pool_trim, called
    on a slow tick, frees spare ones while nobody takes them and returns
    freed pages to the system after a burst, so idle RSS stays small.
    =========================================================================
*/
#ifndef OUTBUF_H_INCLUDED
#define OUTBUF_H_INCLUDED

#include "chat.h"

typedef struct _outbuf_pool_t outbuf_pool_t;

//  One queue, embedded in its owner; all zero is an empty queue.
typedef struct {
    char *data;                 //  memory, NULL when none is held
    uint32_t start;             //  first unsent byte
    uint32_t end;               //  end of queued bytes
    uint32_t capacity;          //  bytes allocated
    uint32_t holder_index;      //  place in the pool's holders list
    bool recent;                //  appended to since the last release check
} outbuf_t;

//  Create an empty pool, or NULL.
outbuf_pool_t *
    outbuf_pool_new (void);

//  Free the pool and its spare memory; every queue must have been freed
//  (outbuf_free) first. NULL-safe.
void
    outbuf_pool_destroy (outbuf_pool_t **self_p);

//  Free the memory of every queue that stayed empty since the last call.
//  Call periodically (the keep period).
void
    outbuf_pool_release_idle (outbuf_pool_t *self);

//  While no queue was taken from the pool since the last call, free half
//  of the spare queues, and once OUTBUF_TRIM_BYTES of queue memory were
//  freed (spares included) return freed pages to the system: after a join
//  burst the heap is otherwise left at its peak. Call on a slow tick.
void
    outbuf_pool_trim (outbuf_pool_t *self);

//  Queues that currently hold memory.
size_t
    outbuf_pool_holders (outbuf_pool_t *self);

//  Append bytes (no cap here). Returns 0, or -1 on no memory.
int
    outbuf_append (outbuf_t *self, outbuf_pool_t *pool, const char *data, size_t size);

//  Bytes queued and not yet sent.
static inline size_t
outbuf_used (const outbuf_t *self)
{
    return self->end - self->start;
}

//  First unsent byte.
static inline const char *
outbuf_head (const outbuf_t *self)
{
    return self->data + self->start;
}

//  size bytes were sent; when all are, the queue is empty but keeps its
//  memory for the next append.
static inline void
outbuf_consume (outbuf_t *self, size_t size)
{
    assert (size <= outbuf_used (self));
    self->start += (uint32_t) size;
    if (self->start == self->end)
        self->start = self->end = 0;
}

//  Drop the queue and give its memory back (to the pool if first-size).
void
    outbuf_free (outbuf_t *self, outbuf_pool_t *pool);

//  The queue has drained. A first-size queue goes back to the pool at
//  once (taking it again is a pointer move, and a join storm that gives
//  output to every client then needs only a few at a time, which keeps
//  the heap compact); a grown one keeps its memory until
//  outbuf_pool_release_idle finds it still empty, since growing it again
//  costs a realloc, and giving it back a free and page faults.
void
    outbuf_drained (outbuf_t *self, outbuf_pool_t *pool);

#endif

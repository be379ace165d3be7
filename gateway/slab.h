/*  =========================================================================
    slab.h - fixed-size objects packed in page-backed blocks

    The gateway keeps two objects per connection for as long as it lives
    (client_t, session_t). From malloc they interleave with everything a
    join burst allocates and frees (output queues, wire messages, waiter
    lists), so after the burst the heap keeps pages that hold one live
    object among freed holes, and an idle gateway's RSS stays near its
    peak. A slab hands out objects of one size from blocks of their own,
    densely, with no per-object header; a block that empties goes back to
    the system at once.

    Objects are aligned to SLAB_ALIGN bytes (enough for pointers and
    64-bit integers) and handed out zeroed.
    =========================================================================
*/
#ifndef SLAB_H_INCLUDED
#define SLAB_H_INCLUDED

#include "chat.h"

#define SLAB_ALIGN          8           //  alignment of every object

typedef struct _slab_t slab_t;

//  Create a slab of object_size-byte objects, or NULL.
slab_t *
    slab_new (size_t object_size);

//  Free the slab; every object must have been freed. NULL-safe.
void
    slab_destroy (slab_t **self_p);

//  A zeroed object, or NULL on no memory. The caller frees it with
//  slab_free.
void *
    slab_alloc (slab_t *self);

//  Give an object back. NULL-safe.
void
    slab_free (slab_t *self, void *object);

//  Objects in use, and blocks held (for tests and logs).
size_t
    slab_size (slab_t *self);
size_t
    slab_blocks (slab_t *self);

#endif

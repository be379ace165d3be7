/*  =========================================================================
    slab.c - fixed-size objects packed in page-backed blocks

    Implements slab.h. A block is SLAB_BLOCK_SIZE bytes from mmap, aligned
    to its own size, so an object finds its block by masking its address.
    The block starts with its header; objects follow. A new block hands
    out objects from its start (only touched pages count as RSS), then
    reuses freed ones from its own free list. Blocks with room are on the
    slab's partial list; the one being filled is at its head. A block
    whose last object is freed is unmapped, unless it is the only block
    with room (so one connection coming and going at a block boundary
    does not map and unmap a block each time).
    =========================================================================
*/
#include "slab.h"
#include <sys/mman.h>

#define SLAB_BLOCK_SIZE     (64 * 1024) //  bytes per block (a power of two)

typedef struct _s_block_t s_block_t;
struct _s_block_t {
    s_block_t *prev;            //  partial list
    s_block_t *next;            //  partial list
    void *free;                 //  freed objects of this block (linked)
    uint32_t live;              //  objects in use
    uint32_t used;              //  objects handed out from the start so far
    bool partial;               //  on the partial list
};

struct _slab_t {
    size_t object_size;         //  bytes per object, rounded to SLAB_ALIGN
    size_t offset;              //  first object's offset in a block
    uint32_t capacity;          //  objects per block
    s_block_t *partial;         //  blocks with room, the one to fill first
    size_t size;                //  objects in use
    size_t blocks;              //  blocks mapped
};

#define SLAB_ROUND(size, to)    (((size) + (to) - 1) / (to) * (to))

slab_t *
slab_new (size_t object_size)
{
    assert (object_size > 0);
    slab_t *self = (slab_t *) zmalloc (sizeof (slab_t));
    if (!self)
        return NULL;
    self->object_size = SLAB_ROUND (MAX (object_size, sizeof (void *)), SLAB_ALIGN);
    self->offset = SLAB_ROUND (sizeof (s_block_t), SLAB_ALIGN);
    assert (self->object_size <= SLAB_BLOCK_SIZE - self->offset);
    self->capacity = (uint32_t) ((SLAB_BLOCK_SIZE - self->offset) / self->object_size);
    return self;
}

void
slab_destroy (slab_t **self_p)
{
    assert (self_p);
    slab_t *self = *self_p;
    if (!self)
        return;
    assert (self->size == 0);
    //  With no object in use, every block is on the partial list
    while (self->partial) {
        s_block_t *block = self->partial;
        self->partial = block->next;
        munmap (block, SLAB_BLOCK_SIZE);
    }
    free (self);
    *self_p = NULL;
}

static void
s_partial_add (slab_t *self, s_block_t *block)
{
    block->prev = NULL;
    block->next = self->partial;
    if (self->partial)
        self->partial->prev = block;
    self->partial = block;
    block->partial = true;
}

static void
s_partial_remove (slab_t *self, s_block_t *block)
{
    if (block->prev)
        block->prev->next = block->next;
    else
        self->partial = block->next;
    if (block->next)
        block->next->prev = block->prev;
    block->prev = block->next = NULL;
    block->partial = false;
}

//  A new block aligned to its size: map twice the size, unmap the rest.
static s_block_t *
s_block_new (slab_t *self)
{
    size_t span = 2 * SLAB_BLOCK_SIZE;
    char *area = (char *) mmap (NULL, span, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return NULL;
    uintptr_t start = SLAB_ROUND ((uintptr_t) area, (uintptr_t) SLAB_BLOCK_SIZE);
    size_t before = start - (uintptr_t) area;
    if (before)
        munmap (area, before);
    munmap ((char *) start + SLAB_BLOCK_SIZE, SLAB_BLOCK_SIZE - before);
    s_block_t *block = (s_block_t *) start;     //  mapped pages are zero
    s_partial_add (self, block);
    self->blocks++;
    return block;
}

void *
slab_alloc (slab_t *self)
{
    assert (self);
    s_block_t *block = self->partial;
    if (!block && !(block = s_block_new (self)))
        return NULL;
    void *object;
    if (block->free) {
        object = block->free;
        block->free = *(void **) object;
    }
    else
        object = (char *) block + self->offset + (size_t) block->used++ * self->object_size;
    if (++block->live == self->capacity)
        s_partial_remove (self, block);
    self->size++;
    memset (object, 0, self->object_size);
    return object;
}

void
slab_free (slab_t *self, void *object)
{
    assert (self);
    if (!object)
        return;
    s_block_t *block = (s_block_t *) ((uintptr_t) object & ~((uintptr_t) SLAB_BLOCK_SIZE - 1));
    assert (block->live > 0);
    *(void **) object = block->free;
    block->free = object;
    block->live--;
    self->size--;
    if (!block->partial)
        s_partial_add (self, block);
    else
    if (block->live == 0 && (block->prev || block->next)) {
        s_partial_remove (self, block);
        munmap (block, SLAB_BLOCK_SIZE);
        self->blocks--;
    }
}

size_t
slab_size (slab_t *self)
{
    assert (self);
    return self->size;
}

size_t
slab_blocks (slab_t *self)
{
    assert (self);
    return self->blocks;
}

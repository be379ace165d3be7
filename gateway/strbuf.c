/*  =========================================================================
    strbuf.c - a growable, NUL-terminated byte buffer

    Implements strbuf.h.
    =========================================================================
*/
#include "strbuf.h"

void
strbuf_init (strbuf_t *self, size_t capacity)
{
    assert (self);
    assert (capacity > 0);
    self->data = (char *) malloc (capacity);
    assert (self->data);        //  out of memory: nothing sensible to do
    self->capacity = capacity;
    strbuf_reset (self);
}

void
strbuf_fini (strbuf_t *self)
{
    assert (self);
    free (self->data);
    self->data = NULL;
    self->size = self->capacity = 0;
}

void
strbuf_reset (strbuf_t *self)
{
    assert (self);
    self->size = 0;
    self->data [0] = 0;
}

void
strbuf_append (strbuf_t *self, const char *data, size_t size)
{
    assert (self);
    if (self->size + size + 1 > self->capacity) {
        size_t capacity = self->capacity;
        while (self->size + size + 1 > capacity)
            capacity *= 2;
        char *grown = (char *) realloc (self->data, capacity);
        assert (grown);         //  out of memory: nothing sensible to do
        self->data = grown;
        self->capacity = capacity;
    }
    memcpy (self->data + self->size, data, size);
    self->size += size;
    self->data [self->size] = 0;
}

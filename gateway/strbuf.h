/*  =========================================================================
    strbuf.h - a growable, NUL-terminated byte buffer

    What format.c builds a line in and json.c a document in: appended at
    the end, grown geometrically, always NUL-terminated so it can be read
    as a string, reset without giving its memory back (the next line or
    document reuses it). Embedded in its owner. Running out of memory
    asserts: both owners build a few hundred bytes at a time, and a line
    half written has no sensible use.
    =========================================================================
*/
#ifndef STRBUF_H_INCLUDED
#define STRBUF_H_INCLUDED

#include "chat.h"

typedef struct {
    char *data;                 //  the bytes, NUL-terminated
    size_t size;                //  bytes in it, the NUL not counted
    size_t capacity;            //  bytes allocated
} strbuf_t;

//  An empty buffer with capacity bytes allocated (asserts on no memory).
void
    strbuf_init (strbuf_t *self, size_t capacity);

//  Free its memory.
void
    strbuf_fini (strbuf_t *self);

//  Empty it, keeping its memory.
void
    strbuf_reset (strbuf_t *self);

//  Append size bytes (keeps a NUL after them).
void
    strbuf_append (strbuf_t *self, const char *data, size_t size);

#endif
